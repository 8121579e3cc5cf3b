import { describe, expect, it } from '@jest/globals';
import {
  HTCONDOR_STATES,
  adStatus,
  classAdString,
  createHtcondorAdapter,
  parseCondorHistoryOutput,
  parseCondorQOutput,
  parseCondorSubmitIds,
  parseCondorSubmitOutput,
  renderSubmitDescription,
  submitGroupKey,
} from '../../src/systems/htcondor.js';
import { readSubmitDescription } from '../fakes/lib/condor-submit-file.mjs';
import { bin, capture, context, failureOf, jobSpec, states, statuses, thrownBy, wrappedBin } from './helpers.js';

const HEADER = [
  '# b2 submit description for HTCondor, written by src/systems/htcondor.ts and',
  '# submitted with condor_submit. The job runs the b2 job wrapper, whose',
  '# exit-status file decides success.',
];

const BASE = [
  'output = /data/logs/n=3/Average/stdout',
  'error = /data/logs/n=3/Average/stderr',
  'log = /data/logs/n=3/Average/job.log',
  'executable = /data/tasks/n=3/Average/job_wrapper.sh',
  'universe = vanilla',
  'batch_name = Average',
  '+B2RunTag = "b2-run-1"',
  '+B2TaskKey = "0123456789ab"',
];

const description = (...lines: string[]): string => [...HEADER, ...lines, 'queue 1'].join('\n') + '\n';

const ATTRIBUTES = 'ClusterId,ProcId,JobStatus,ExitCode,ExitBySignal,ExitSignal,HoldReason,HoldReasonCode,RemoveReason,B2RunTag,B2TaskKey';

describe('HTCondor submit description', () => {
  it('sets the logs, the wrapper as executable, the batch name and the run tag, then queues one job', () => {
    expect(renderSubmitDescription(jobSpec())).toBe(description(...BASE));
  });

  it('maps cpus and memory, enforces the walltime with a recognisable removal, and ignores the queue', () => {
    expect(renderSubmitDescription(jobSpec({ resources: { cpus: 2, memoryMb: 4096, walltimeSeconds: 3600, queue: 'long' } }))).toBe(
      description(
        ...BASE,
        'request_cpus = 2',
        'request_memory = 4096',
        '+B2WalltimeLimit = 3600',
        'periodic_remove = (JobStatus == 2) && (time() - JobCurrentStartDate > B2WalltimeLimit)',
        '+PeriodicRemoveReason = "walltime limit exceeded (B2WalltimeLimit = 3600 s)"',
      ),
    );
  });

  it('transfers the transfer files and the env script, once each', () => {
    const job = jobSpec({ transferFiles: ['/data/in/a.root', '/data/setup.sh'], envScript: '/data/setup.sh' });
    expect(renderSubmitDescription(job)).toBe(
      description(
        ...BASE,
        'should_transfer_files = YES',
        'when_to_transfer_output = ON_EXIT',
        'transfer_input_files = /data/in/a.root,/data/setup.sh',
      ),
    );
    expect(renderSubmitDescription(jobSpec({ envScript: '/data/setup.sh' }))).not.toContain('transfer');
  });

  it('lets htcondor_settings win, case-insensitively and in place, and writes their values as HTCondor syntax', () => {
    const text = renderSubmitDescription(
      jobSpec({
        resources: { cpus: 2 },
        systemSettings: { Request_CPUs: 8, getenv: true, 'MY.Site': '"desy"', '+MaxRuntime': 7200, output: 'out.$(Cluster)', nice_user: false },
      }),
    );
    expect(text).toBe(
      description(
        'output = out.$(Cluster)',
        ...BASE.slice(1),
        'Request_CPUs = 8',
        'getenv = True',
        'MY.Site = "desy"',
        '+MaxRuntime = 7200',
        'nice_user = False',
      ),
    );
  });

  it('keeps $ in generated values from macro expansion and quotes the run tag as a ClassAd string', () => {
    const text = renderSubmitDescription(jobSpec({ runTag: 'run "x" \\ $(y)', stdoutPath: '/data/$HOME/stdout', jobName: 'Avg $(Cluster)' }));
    expect(text).toContain('output = /data/$(DOLLAR)HOME/stdout\n');
    expect(text).toContain('batch_name = Avg $(DOLLAR)(Cluster)\n');
    expect(text).toContain('+B2RunTag = "run \\"x\\" \\\\ $(DOLLAR)(y)"\n');
    expect(classAdString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('writes values that condor_submit reads back exactly: $, blanks and backslashes inside, Unicode blanks at the ends', () => {
    const job = jobSpec({
      jobName: '\u00a0Avg $(Cluster) \\ x\u00a0',
      stdoutPath: '/data/a\\b $HOME/stdout',
      runTag: 'run \\',
      systemSettings: { requirements: 'Memory > 2 && Cpus >= 1', '+Site': '"x \\"' },
    });
    const [proc, ...more] = readSubmitDescription(renderSubmitDescription(job));
    expect(more).toEqual([]);
    expect(proc!.settings.batch_name).toBe(job.jobName);
    expect(proc!.settings.output).toBe(job.stdoutPath);
    expect(proc!.settings.requirements).toBe('Memory > 2 && Cpus >= 1');
    expect(proc!.attrs.B2RunTag).toBe(classAdString('run \\'));
    expect(proc!.attrs.Site).toBe('"x \\"');
  });

  it.each([
    ['a job name ending in a backslash', { jobName: 'Avg\\' }, 'backslash'],
    ['a job name ending in a backslash and blanks', { jobName: 'Avg\\ ' }, 'backslash'],
    ['a transfer file ending in a backslash', { transferFiles: ['/data/a\\'] }, 'backslash'],
    ['a setting ending in a backslash', { systemSettings: { requirements: 'x \\' } }, 'backslash'],
    ['a setting starting with blanks', { systemSettings: { arguments: '  -v' } }, 'blanks'],
    ['a setting ending with a tab', { systemSettings: { '+Site': '"x"\t' } }, 'blanks'],
    ['a job name with $$(, which the match would replace', { jobName: 'a$$(Name)' }, '$$('],
  ])('refuses %s rather than write something condor_submit reads differently', (_what, overrides, mentioned) => {
    const error = thrownBy(() => renderSubmitDescription(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });

  it.each([
    ['a line break in a path', { stderrPath: '/data/a\nb' }, 'line break'],
    ['blanks around a path', { stdoutPath: '/data/out ' }, 'blanks'],
    ['a comma in a transfer file', { transferFiles: ['/data/a,b'] }, 'comma'],
    ['a blank in a transfer file', { transferFiles: ['/data/a b'] }, 'blank'],
    ['a run tag setting', { systemSettings: { '+B2RunTag': '"mine"' } }, '+B2RunTag'],
    ['the same as MY.', { systemSettings: { 'my.b2runtag': '"mine"' } }, 'my.b2runtag'],
    ['a queue setting', { systemSettings: { queue: 3 } }, '"queue"'],
    ['a key that is no submit command', { systemSettings: { 'request cpus': 1 } }, 'request cpus'],
    ['a line break in a setting', { systemSettings: { requirements: 'a\nqueue 5' } }, 'line break'],
  ])('rejects %s', (_what, overrides, mentioned) => {
    const error = thrownBy(() => renderSubmitDescription(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });
});

describe('condor_submit', () => {
  const adapter = createHtcondorAdapter();

  it('writes job.submit and submits it from the task folder', () => {
    const job = jobSpec();
    expect(adapter.submitFiles(job)).toEqual([{ path: '/data/tasks/n=3/Average/job.submit', content: renderSubmitDescription(job) }]);
    expect(adapter.submitCommand(job, wrappedBin)).toEqual({
      argv: ['/opt/site/bin/wrap', 'condor_submit', 'job.submit'],
      cwd: '/data/tasks/n=3/Average',
    });
  });

  it.each([
    ['documented-submit', '6.0'],
    ['documented-submit-monitor-hint', '1234.0'],
    ['documented-submit-terse', '1234.0'],
  ])('reads the job id from %s', (name, id) => {
    const { stdout, stderr } = capture('htcondor', name);
    expect(parseCondorSubmitOutput(stdout, stderr)).toEqual({ ok: true, value: id });
  });

  it.each([
    ['documented-submit-no-schedd', "ERROR: Can't find address of local schedd"],
    ['documented-submit-parse-error', 'ERROR: Failed to parse command file (line 12).'],
  ])('reports %s with condor_submit’s own words', (name, words) => {
    const { stdout, stderr } = capture('htcondor', name);
    const failure = failureOf(parseCondorSubmitOutput(stdout, stderr));
    expect(failure.reason).toBe('submit-failed');
    expect(failure.message).toBe(`condor_submit did not submit the job: ${words}`);
  });
});

describe('condor_submit for several jobs at once', () => {
  const grouped = createHtcondorAdapter().grouped!;
  const other = jobSpec({
    taskId: 'Average_4_77aa',
    wrapperPath: '/data/tasks/n=4/Average/job_wrapper.sh',
    taskFileDir: '/data/tasks/n=4/Average',
    stdoutPath: '/data/logs/n=4/Average/stdout',
    stderrPath: '/data/logs/n=4/Average/stderr',
    jobLogPath: '/data/logs/n=4/Average/job.log',
  });

  it('groups jobs that set the same commands, whatever their values', () => {
    expect(submitGroupKey(jobSpec())).toBe(submitGroupKey(other));
    expect(submitGroupKey(jobSpec({ jobName: 'Other', runTag: 'b2-run-2' }))).toBe(submitGroupKey(other));
    expect(submitGroupKey(jobSpec({ resources: { memoryMb: 2000 } }))).not.toBe(submitGroupKey(other));
    expect(submitGroupKey(jobSpec({ systemSettings: { Request_Memory: 100 } }))).toBe(submitGroupKey(jobSpec({ systemSettings: { request_memory: 200 } })));
    expect(submitGroupKey(jobSpec({ systemSettings: { '+Site': '"a"' } }))).not.toBe(submitGroupKey(other));
  });

  it('sends alone a job that sets its own initialdir, or whose description cannot be written', () => {
    expect(submitGroupKey(jobSpec({ systemSettings: { Initial_Dir: 'sub' } }))).toBeUndefined();
    expect(submitGroupKey(jobSpec({ systemSettings: { iwd: '/x' } }))).toBeUndefined();
    expect(submitGroupKey(jobSpec({ systemSettings: { 'bad key': 1 } }))).toBeUndefined();
    expect(submitGroupKey(jobSpec({ stdoutPath: '/data/logs/a\nb' }))).toBeUndefined();
  });

  it('writes one block per job, each in its task folder, and submits them with -terse', () => {
    const { files, command } = grouped.submission([jobSpec(), other], '/data/.b2/runs/r1/submit', 'group-Average_3_1f0a8e2c4d.1', wrappedBin);
    expect(command).toEqual({ argv: ['/opt/site/bin/wrap', 'condor_submit', '-terse', 'group-Average_3_1f0a8e2c4d.1.submit'], cwd: '/data/.b2/runs/r1/submit' });
    expect(files).toHaveLength(1);
    expect(files[0]!.path).toBe('/data/.b2/runs/r1/submit/group-Average_3_1f0a8e2c4d.1.submit');
    const lines = files[0]!.content.split('\n');
    expect(lines[0]).toBe('# b2 submit description for HTCondor: 2 jobs of one run, written by');
    const blocks = lines.filter((line) => !line.startsWith('#')).join('\n').trim().split('\n\n');
    expect(blocks).toEqual([
      [...BASE, 'initialdir = /data/tasks/n=3/Average', 'queue 1'].join('\n'),
      [...BASE.map((line) => line.replace('n=3', 'n=4')), 'initialdir = /data/tasks/n=4/Average', 'queue 1'].join('\n'),
    ]);
  });

  it('reads the ids in order: -terse lines, plain lines per cluster, ranges', () => {
    expect(parseCondorSubmitIds('1234.0 - 1234.0\n1235.0 - 1235.0\n', '')).toEqual({ ok: true, value: ['1234.0', '1235.0'] });
    expect(parseCondorSubmitIds('Submitting job(s)...\n2 job(s) submitted to cluster 8.\n1 job(s) submitted to cluster 9.\n', '')).toEqual({
      ok: true,
      value: ['8.0', '8.1', '9.0'],
    });
    expect(parseCondorSubmitIds('40.0 - 40.2\n', '')).toEqual({ ok: true, value: ['40.0', '40.1', '40.2'] });
    // Output cut short (the runner died while condor_submit wrote): the complete lines count.
    expect(parseCondorSubmitIds('7.0 - 7.0\n8.0 - 8', '')).toEqual({ ok: true, value: ['7.0'] });
    const { stdout, stderr } = capture('htcondor', 'documented-submit-terse');
    expect(parseCondorSubmitIds(stdout, stderr)).toEqual({ ok: true, value: ['1234.0'] });
    expect(failureOf(parseCondorSubmitIds('', '\nERROR: Failed to parse command file (line 3).\n')).reason).toBe('submit-failed');
  });
});

describe('HTCondor states', () => {
  it('covers JobStatus 1 to 7', () => {
    expect(Object.keys(HTCONDOR_STATES)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it.each([
    [{ JobStatus: 1 }, { state: 'pending', native: '1' }],
    [{ JobStatus: 2 }, { state: 'running', native: '2' }],
    [{ JobStatus: 3, RemoveReason: 'via condor_rm (by user alice)' }, { state: 'cancelled', native: '3', reason: 'via condor_rm (by user alice)' }],
    [{ JobStatus: 3 }, { state: 'cancelled', native: '3' }],
    [
      { JobStatus: 3, RemoveReason: 'walltime limit exceeded (B2WalltimeLimit = 60 s)' },
      { state: 'timeout', native: '3', reason: 'walltime limit exceeded (B2WalltimeLimit = 60 s)' },
    ],
    [{ JobStatus: 4, ExitBySignal: false, ExitCode: 0 }, { state: 'succeeded', native: '4', exitCode: 0 }],
    [{ JobStatus: 4, ExitBySignal: false, ExitCode: 3 }, { state: 'failed', native: '4', exitCode: 3 }],
    [{ JobStatus: 4, ExitBySignal: true, ExitSignal: 9 }, { state: 'failed', native: '4', signal: 9, reason: 'killed by signal 9' }],
    [{ JobStatus: 4 }, { state: 'failed', native: '4', reason: 'completed without an exit code' }],
    [{ JobStatus: 5, HoldReason: 'via condor_hold (by user alice)', HoldReasonCode: 1 }, { state: 'held', native: '5', reason: 'via condor_hold (by user alice)' }],
    [{ JobStatus: 6 }, { state: 'running', native: '6' }],
    [{ JobStatus: 7 }, { state: 'running', native: '7' }],
    [{ JobStatus: 8 }, { state: 'unknown', native: '8' }],
  ])('maps %j', (ad, expected) => {
    expect(adStatus({ ClusterId: 7, ProcId: 0, ...ad })).toEqual({ jobId: '7.0', ...expected });
  });

  it('ignores an ad without ids or JobStatus', () => {
    expect(adStatus({ JobStatus: 2 })).toBeUndefined();
    expect(adStatus({ ClusterId: 1 })).toBeUndefined();
  });
});

describe('condor_q', () => {
  const adapter = createHtcondorAdapter();

  it('asks once for every job carrying the run tag', () => {
    expect(adapter.statusCommands(context(['101.0']), bin)).toEqual([
      { argv: ['condor_q', '-json', '-attributes', ATTRIBUTES, '-constraint', 'B2RunTag == "b2-run-1"'] },
    ]);
  });

  it('reads idle, running, held, removed, transferring and suspended jobs', () => {
    const { stdout, stderr, exitCode } = capture('htcondor', 'documented-q-json-live');
    const result = parseCondorQOutput(stdout, stderr, exitCode, context([]));
    expect(states(result)).toEqual({
      '101.0': 'pending',
      '102.0': 'running',
      '103.0': 'held',
      '104.0': 'cancelled',
      '105.0': 'running',
      '106.0': 'running',
    });
    expect(statuses(result).get('103.0')!.reason).toBe('via condor_hold (by user alice)');
    expect(statuses(parseCondorQOutput(stdout, stderr, exitCode, context([], 'b2-other'))).size).toBe(0);
  });

  it('reads empty output as no jobs', () => {
    const { stdout, stderr, exitCode } = capture('htcondor', 'documented-q-json-no-jobs');
    expect(statuses(parseCondorQOutput(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('fails when the schedd does not answer', () => {
    const { stdout, stderr, exitCode } = capture('htcondor', 'documented-q-failed-to-fetch');
    const failure = failureOf(parseCondorQOutput(stdout, stderr, exitCode));
    expect(failure.reason).toBe('status-query-failed');
    expect(failure.message).toContain('condor_q failed with exit status 1: -- Failed to fetch ads from');
    expect(failure.message).toContain('SECMAN:2007');
  });

  it('fails on output that is not a JSON list', () => {
    expect(failureOf(parseCondorQOutput('-- Schedd: host : <1.2.3.4:9618>\n', '', 0)).message).toContain('invalid JSON');
    expect(failureOf(parseCondorQOutput('{"ClusterId": 1}', '', 0)).message).toContain('not a list');
  });
});

describe('condor_history', () => {
  const adapter = createHtcondorAdapter();

  it('asks for the run’s jobs by cluster, stopping once all are found, 500 ids per command', () => {
    expect(adapter.historyCommands!(['201.0', '202.0'], context(['201.0', '202.0']), bin)).toEqual([
      {
        argv: [
          'condor_history',
          '-json',
          '-attributes',
          ATTRIBUTES,
          '-constraint',
          'B2RunTag == "b2-run-1" && (ClusterId == 201 || ClusterId == 202)',
          '-match',
          '2',
        ],
      },
    ]);
    const ids = Array.from({ length: 1200 }, (_, i) => `${i + 1}.0`);
    expect(adapter.historyCommands!(ids, context(ids), bin).map((c) => c.argv.at(-1))).toEqual(['500', '500', '200']);
  });

  it('reads completed, failed, signalled, removed and timed-out jobs', () => {
    const { stdout, stderr, exitCode } = capture('htcondor', 'documented-history-json-finished');
    const result = parseCondorHistoryOutput(stdout, stderr, exitCode, context([]));
    expect(states(result)).toEqual({
      '201.0': 'succeeded',
      '202.0': 'failed',
      '203.0': 'failed',
      '204.0': 'cancelled',
      '205.0': 'timeout',
    });
    expect(statuses(result).get('202.0')!.exitCode).toBe(3);
    expect(statuses(result).get('203.0')!.signal).toBe(9);
  });

  it('reads [ ] as no jobs', () => {
    const { stdout, stderr, exitCode } = capture('htcondor', 'documented-history-json-none');
    expect(statuses(adapter.parseHistoryOutput!(stdout, stderr, exitCode)).size).toBe(0);
  });
});

describe('condor_rm', () => {
  it('removes ids in batches', () => {
    const ids = Array.from({ length: 502 }, (_, i) => `${i + 1}.0`);
    expect(createHtcondorAdapter().killCommands(ids, bin).map((c) => c.argv.length)).toEqual([501, 3]);
  });
});
