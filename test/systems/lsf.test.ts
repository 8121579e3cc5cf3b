import { describe, expect, it } from '@jest/globals';
import { LSF_STATES, bsubArguments, createLsfAdapter, lsfRunLimit, lsfState, parseBjobsOutput, parseBsubOutput } from '../../src/systems/lsf.js';
import { bin, capture, context, failureOf, jobSpec, states, statuses, thrownBy, wrappedBin } from './helpers.js';

const BASE = [
  '-J',
  'Average',
  '-Jd',
  'b2-run-1.0123456789ab',
  '-oo',
  '/data/logs/n=3/Average/stdout',
  '-eo',
  '/data/logs/n=3/Average/stderr',
  '-env',
  'all',
];

describe('bsub command line', () => {
  const adapter = createLsfAdapter();

  it('names the job, tags it with the run, overwrites the logs and passes -env all as two elements', () => {
    expect(adapter.submitCommand(jobSpec(), wrappedBin)).toEqual({
      argv: ['/opt/site/bin/wrap', 'bsub', ...BASE, '/data/tasks/n=3/Average/job_wrapper.sh'],
      cwd: '/data/tasks/n=3/Average',
    });
    expect(adapter.submitFiles(jobSpec())).toEqual([]);
  });

  it('maps resources: queue, slots on one host, memory with its unit, run limit in hours:minutes', () => {
    expect(bsubArguments(jobSpec({ resources: { queue: 's', cpus: 4, memoryMb: 2048, walltimeSeconds: 5401 } }))).toEqual([
      ...BASE,
      '-q',
      's',
      '-n',
      '4',
      '-R',
      'span[hosts=1]',
      '-M',
      '2048MB',
      '-W',
      '1:31',
      '/data/tasks/n=3/Average/job_wrapper.sh',
    ]);
  });

  it('asks for no span with one slot', () => {
    expect(bsubArguments(jobSpec({ resources: { cpus: 1 } }))).toEqual([...BASE, '-n', '1', '/data/tasks/n=3/Average/job_wrapper.sh']);
  });

  it.each([
    ['with-unit', '1536MB'],
    ['KB', '1572864'],
    ['MB', '1536'],
    ['GB', '2'],
  ] as const)('writes memory for unit %s as %s', (memoryUnit, limit) => {
    const args = bsubArguments(jobSpec({ resources: { memoryMb: 1536 }, systemOptions: { lsf_memory_unit: memoryUnit } }));
    expect(args[args.indexOf('-M') + 1]).toBe(limit);
  });

  it('refuses a memory unit LSF does not know, naming the ones it does', () => {
    const error = thrownBy(() => bsubArguments(jobSpec({ resources: { memoryMb: 1536 }, systemOptions: { lsf_memory_unit: 'TB' } })));
    expect(error).toMatchObject({ reason: 'bad-batch-settings', message: 'lsf_memory_unit "TB" is not a memory unit', hint: expect.stringContaining('with-unit, KB, MB, GB') });
  });

  it.each([
    [60, '0:01'],
    [61, '0:02'],
    [3600, '1:00'],
    [90000, '25:00'],
  ])('writes a run limit of %i s as %s', (seconds, text) => {
    expect(lsfRunLimit(seconds)).toBe(text);
  });

  it('lets lsf_settings replace generated options, add flags and options, and remove with false', () => {
    const args = bsubArguments(
      jobSpec({
        resources: { queue: 's', cpus: 2 },
        systemSettings: { q: 'l', R: 'rusage[mem=4000]', env: false, P: 'belle', B: true, x: false },
      }),
    );
    expect(args).toEqual([
      '-J',
      'Average',
      '-Jd',
      'b2-run-1.0123456789ab',
      '-oo',
      '/data/logs/n=3/Average/stdout',
      '-eo',
      '/data/logs/n=3/Average/stderr',
      '-q',
      'l',
      '-n',
      '2',
      '-R',
      'rusage[mem=4000]',
      '-P',
      'belle',
      '-B',
      '/data/tasks/n=3/Average/job_wrapper.sh',
    ]);
  });

  it('keeps brackets out of the job name (they would make a job array) and shell-quotes the wrapper', () => {
    const args = bsubArguments(jobSpec({ jobName: 'Average[n=3]', wrapperPath: "/data/it's here/job wrapper.sh" }));
    expect(args[1]).toBe('Average_n=3_');
    expect(args.at(-1)).toBe(`'/data/it'\\''s here/job wrapper.sh'`);
  });

  it.each([
    ['%J in the stdout path', { stdoutPath: '/data/logs/n=%J/Average/stdout' }, '%J'],
    ['%I in the stderr path', { stderrPath: '/data/logs/n=%I/Average/stderr' }, '%I'],
    ['a stdout path longer than LSF takes', { stdoutPath: `/data/${'d'.repeat(4090)}/stdout` }, '4094'],
    ['a job name exec could not pass', { jobName: 'n'.repeat(200_000) }, 'bytes'],
  ])('refuses %s rather than let bsub change or reject it', (_what, overrides, mentioned) => {
    const error = thrownBy(() => bsubArguments(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });

  it('keeps % signs LSF leaves alone in the log paths', () => {
    const args = bsubArguments(jobSpec({ stdoutPath: '/data/logs/n=%j %i 100%/stdout' }));
    expect(args[args.indexOf('-oo') + 1]).toBe('/data/logs/n=%j %i 100%/stdout');
  });

  it.each([
    ['a Jd setting, which would hide the run tag', { systemSettings: { Jd: 'mine' } }, '"Jd"'],
    ['an option name with a dash', { systemSettings: { '-q': 's' } }, '"-q"'],
    ['a line break in a value', { systemSettings: { P: 'a\nb' } }, 'line break'],
    ['fractional cpus', { resources: { cpus: 1.5 } }, 'cpus'],
  ])('rejects %s', (_what, overrides, mentioned) => {
    const error = thrownBy(() => bsubArguments(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });
});

describe('bsub output', () => {
  it.each([
    ['documented-bsub-default-queue', '2812'],
    ['documented-bsub-queue', '1223'],
    ['documented-bsub-banner', '2329803'],
  ])('reads the job id from %s', (name, id) => {
    const { stdout, stderr } = capture('lsf', name);
    expect(parseBsubOutput(stdout, stderr)).toEqual({ ok: true, value: id });
  });

  it.each([
    ['documented-bsub-no-such-queue', 'No such queue. Job not submitted'],
    ['documented-bsub-too-many-processors', 'Too many processors requested'],
  ])('reports %s with bsub’s own words', (name, words) => {
    const { stdout, stderr } = capture('lsf', name);
    const failure = failureOf(parseBsubOutput(stdout, stderr));
    expect(failure.reason).toBe('submit-failed');
    expect(failure.message).toContain(words);
  });
});

describe('LSF states', () => {
  const EXPECTED: ReadonlyArray<readonly [string, string]> = [
    ['PEND', 'pending'],
    ['PROV', 'pending'],
    ['WAIT', 'pending'],
    ['PSUSP', 'held'],
    ['RUN', 'running'],
    ['USUSP', 'held'],
    ['SSUSP', 'running'],
    ['DONE', 'succeeded'],
    ['EXIT', 'failed'],
    ['UNKWN', 'unknown'],
    ['ZOMBI', 'failed'],
  ];

  it('has exactly the documented states', () => {
    expect(Object.keys(LSF_STATES).sort()).toEqual(EXPECTED.map(([name]) => name).sort());
  });

  it.each(EXPECTED)('maps %s to %s', (stat, state) => {
    expect(lsfState(stat)).toBe(state);
  });

  it.each([
    ['TERM_RUNLIMIT: job killed after reaching LSF run time limit', 'timeout'],
    ['job killed after reaching LSF run time limit', 'timeout'],
    ['TERM_DEADLINE: job killed after deadline expires', 'timeout'],
    ['TERM_OWNER: job killed by owner', 'cancelled'],
    ['TERM_FORCE_OWNER: job killed by owner without time for cleanup', 'cancelled'],
    ['TERM_ADMIN: job killed by root or LSF administrator', 'cancelled'],
    ['TERM_MEMLIMIT: job killed after reaching LSF memory usage limit', 'failed'],
    ['', 'failed'],
  ])('refines EXIT with reason %j to %s', (reason, state) => {
    expect(lsfState('EXIT', reason)).toBe(state);
  });

  it('reads an unknown status as unknown', () => {
    expect(lsfState('BOGUS')).toBe('unknown');
  });
});

describe('bjobs', () => {
  const adapter = createLsfAdapter();

  it('asks bjobs -a -json for the run’s ids, in batches', () => {
    expect(adapter.statusCommands(context(['301', '302']), bin)).toEqual([
      { argv: ['bjobs', '-a', '-json', '-o', 'jobid jobindex stat exit_code exit_reason job_description', '301', '302'] },
    ]);
    const ids = Array.from({ length: 750 }, (_, i) => String(i + 1));
    expect(adapter.statusCommands(context(ids), bin).map((c) => c.argv.length - 5)).toEqual([500, 250]);
    expect(adapter.taggedJobsCommand(context([]), bin).argv.slice(-2)).toEqual(['-u', 'alice']);
    expect(adapter.historyCommands).toBeUndefined();
  });

  it('reads every state, exit codes and exit reasons, and leaves out other runs', () => {
    const { stdout, stderr, exitCode } = capture('lsf', 'documented-bjobs-json-states');
    const result = parseBjobsOutput(stdout, stderr, exitCode, context([]));
    expect(states(result)).toEqual({
      '301': 'pending',
      '302': 'pending',
      '303': 'pending',
      '304': 'held',
      '305': 'running',
      '306': 'held',
      '307': 'running',
      '308': 'succeeded',
      '309': 'failed',
      '310': 'timeout',
      '311': 'cancelled',
      '312': 'cancelled',
      '313': 'failed',
      '314': 'unknown',
      '315': 'failed',
    });
    const map = statuses(result);
    expect(map.get('309')).toEqual({ jobId: '309', state: 'failed', native: 'EXIT', exitCode: 3 });
    expect(map.get('310')).toEqual({
      jobId: '310',
      state: 'timeout',
      native: 'EXIT',
      exitCode: 140,
      reason: 'TERM_RUNLIMIT: job killed after reaching LSF run time limit',
    });
    expect(map.get('308')).toEqual({ jobId: '308', state: 'succeeded', native: 'DONE' });
    expect(statuses(parseBjobsOutput(stdout, stderr, exitCode)).has('316')).toBe(true);
  });

  it('keeps the found jobs when some ids are unknown (exit 255)', () => {
    const { stdout, stderr, exitCode } = capture('lsf', 'documented-bjobs-json-mixed-not-found');
    expect(states(parseBjobsOutput(stdout, stderr, exitCode, context(['22005', '123'])))).toEqual({ '22005': 'succeeded' });
  });

  it.each([
    ['one unknown id', '', 'Job <123> is not found\n', 0],
    ['unknown ids with the consistent exit code', '', 'Job <123> is not found\nJob <124> is not found\n', 255],
    ['no job at all', 'No job found\n', '', 0],
    ['an empty record list', '{\n  "COMMAND":"bjobs",\n  "JOBS":0,\n  "RECORDS":[\n  ]\n}\n', '', 0],
    ['an error record', '{"COMMAND":"bjobs","JOBS":1,"RECORDS":[{"JOBID":"123","ERROR":"Job <123> is not found"}]}', '', 255],
  ])('reads %s as no jobs', (_what, stdout, stderr, exitCode) => {
    expect(statuses(parseBjobsOutput(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('reads the captured single unknown id', () => {
    const { stdout, stderr, exitCode } = capture('lsf', 'documented-bjobs-unknown-single');
    expect(statuses(parseBjobsOutput(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('fails when LSF itself reports an error', () => {
    const { stdout, stderr, exitCode } = capture('lsf', 'documented-bjobs-lsf-down');
    const failure = failureOf(parseBjobsOutput(stdout, stderr, exitCode));
    expect(failure.message).toBe('bjobs failed with exit status 255: Request from non-LSF host rejected');
  });

  it('fails on output that is not JSON', () => {
    expect(failureOf(parseBjobsOutput('JOBID USER STAT\n1 alice RUN\n', '', 0)).message).toContain('not JSON');
    expect(failureOf(parseBjobsOutput('{"RECORDS":', '', 0)).message).toContain('invalid JSON');
  });
});

describe('bkill', () => {
  it('kills ids in batches', () => {
    const ids = Array.from({ length: 501 }, (_, i) => String(i + 1));
    expect(createLsfAdapter().killCommands(ids, bin).map((c) => c.argv)).toEqual([['bkill', ...ids.slice(0, 500)], ['bkill', '501']]);
  });
});
