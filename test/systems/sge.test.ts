import { describe, expect, it } from '@jest/globals';
import {
  SGE_STATES,
  createSgeAdapter,
  isGridEngineHelp,
  parseQacctOutput,
  parseQstatXml,
  parseQsubOutput,
  parseSgeErrorReason,
  qsubOptions,
  renderSgeScript,
  sgeAddressSpaceLimit,
  sgeJobName,
  sgeState,
} from '../../src/systems/sge.js';
import { bin, capture, context, failureOf, jobSpec, states, statuses, thrownBy, wrappedBin } from './helpers.js';

const WRAPPER = '/data/tasks/n=3/Average/job_wrapper.sh';
const SCRIPT = '/data/tasks/n=3/Average/sge_job.sh';

const BASE_OPTIONS = ['-terse', '-C', '', '-N', 'b2-b2-run-1-0123456789ab-Average', '-o', '/dev/null', '-e', '/dev/null', '-wd', '/', '-S', '/bin/bash'];

describe('Grid Engine script and options', () => {
  it('passes every option as qsub argv with paths that carry no value, and has the script open the logs and exec the wrapper', () => {
    const job = jobSpec();
    expect(qsubOptions(job)).toEqual(BASE_OPTIONS);
    expect(renderSgeScript(job)).toBe(
      [
        '#!/bin/bash',
        '# b2 batch script for Grid Engine, rendered by src/systems/sge.ts. Its options',
        "# are on qsub's command line, with -C '' so that qsub reads no option line",
        "# here (such a line ends at '#'). Submitted from this folder with:",
        `# qsub -terse -C '' -N b2-b2-run-1-0123456789ab-Average -o /dev/null -e /dev/null -wd / -S /bin/bash ${SCRIPT}`,
        '# Grid Engine expands $VAR in the paths it opens: its own streams go to',
        '# /dev/null, and the task\'s log files, quoted for bash, are opened here.',
        'exec >>/data/logs/n=3/Average/stdout 2>>/data/logs/n=3/Average/stderr',
        '# The job runs the b2 job wrapper, whose exit-status file decides success.',
        `exec ${WRAPPER}`,
        '',
      ].join('\n'),
    );
  });

  it('maps resources: a parallel environment for several cpus, mem_free per slot, h_rt and the queue', () => {
    expect(qsubOptions(jobSpec({ resources: { cpus: 4, memoryMb: 8000, walltimeSeconds: 93784, queue: 'long.q' }, systemOptions: { sge_parallel_environment: 'threads' } }))).toEqual([
      ...BASE_OPTIONS,
      '-pe',
      'threads',
      '4',
      '-q',
      'long.q',
      '-l',
      'mem_free=2000M',
      '-l',
      'h_rt=26:03:04',
    ]);
  });

  it('asks for memory as the resource sge_memory_resource names', () => {
    expect(qsubOptions(jobSpec({ resources: { memoryMb: 300 }, systemOptions: { sge_memory_resource: 'h_vmem' } })).slice(-2)).toEqual(['-l', 'h_vmem=300M']);
    const error = thrownBy(() => qsubOptions(jobSpec({ resources: { memoryMb: 300 }, systemOptions: { sge_memory_resource: 'h_vmem=1G' } })));
    expect(error).toMatchObject({ reason: 'bad-batch-settings', message: expect.stringContaining('sge_memory_resource "h_vmem=1G"') });
  });

  it('refuses a parallel environment name qsub would read as more than one word', () => {
    const error = thrownBy(() => qsubOptions(jobSpec({ resources: { cpus: 2 }, systemOptions: { sge_parallel_environment: 'smp 4' } })));
    expect(error).toMatchObject({ reason: 'bad-batch-settings', message: 'sge_parallel_environment "smp 4" is not a Grid Engine parallel environment name' });
    expect(qsubOptions(jobSpec({ systemOptions: { sge_parallel_environment: 'smp 4' } }))).not.toContain('-pe');
  });

  it('names the address-space limit a job runs under, if any', () => {
    expect(sgeAddressSpaceLimit(jobSpec({ resources: { memoryMb: 300 } }))).toBeUndefined();
    expect(sgeAddressSpaceLimit(jobSpec({ resources: { cpus: 2, memoryMb: 300 }, systemOptions: { sge_memory_resource: 'h_vmem' } }))).toBe('h_vmem=150M');
    expect(sgeAddressSpaceLimit(jobSpec({ systemSettings: { l: 'scratch=1G,s_vmem=2G' } }))).toBe('s_vmem=2G');
  });

  it('asks for no parallel environment for one cpu', () => {
    expect(qsubOptions(jobSpec({ resources: { cpus: 1, memoryMb: 100 } }))).toEqual([...BASE_OPTIONS, '-l', 'mem_free=100M']);
  });

  it('lets sge_settings replace options, replace -l resources one by one, add flags and remove with false', () => {
    const options = qsubOptions(
      jobSpec({
        resources: { memoryMb: 1000, walltimeSeconds: 60 },
        systemSettings: { l: 'mem_free=4G,scratch=10G', S: '/bin/zsh', wd: false, R: 'y', notify: true, P: 'belle', pe: 'mpi  8' },
      }),
    );
    expect(options).toEqual([
      '-terse',
      '-C',
      '',
      '-N',
      'b2-b2-run-1-0123456789ab-Average',
      '-o',
      '/dev/null',
      '-e',
      '/dev/null',
      '-S',
      '/bin/zsh',
      '-R',
      'y',
      '-notify',
      '-P',
      'belle',
      '-pe',
      'mpi',
      '8',
      '-l',
      'mem_free=4G',
      '-l',
      'h_rt=0:01:00',
      '-l',
      'scratch=10G',
    ]);
  });

  it('drops every generated -l resource with l = false', () => {
    expect(qsubOptions(jobSpec({ resources: { memoryMb: 1000 }, systemSettings: { l: false } }))).not.toContain('-l');
  });

  it('gives Grid Engine no path with a value in it, and quotes the log paths and the wrapper for bash', () => {
    const dir = "/data/it's #$ -t 1-3 $HOME, a:b";
    const job = jobSpec({ stdoutPath: `${dir}/stdout`, stderrPath: `${dir}/stderr`, workingDir: `${dir}/work`, wrapperPath: `${dir}/job wrapper.sh` });
    expect(qsubOptions(job)).toEqual(BASE_OPTIONS);
    const text = renderSgeScript(job);
    expect(text).not.toMatch(/^#\$/m);
    expect(text).toContain(`\nexec >>'/data/it'\\''s #$ -t 1-3 $HOME, a:b/stdout' 2>>'/data/it'\\''s #$ -t 1-3 $HOME, a:b/stderr'\n`);
    expect(text).toContain(`\nexec '/data/it'\\''s #$ -t 1-3 $HOME, a:b/job wrapper.sh'\n`);
  });

  it('passes values with blanks, quotes and # as one argv element each', () => {
    const options = qsubOptions(jobSpec({ resources: { queue: 'a "b" #c' }, systemSettings: { P: "it's #x" } }));
    expect(options.slice(-4)).toEqual(['-q', 'a "b" #c', '-P', "it's #x"]);
  });

  it('keeps job names within Grid Engine’s rules', () => {
    expect(sgeJobName('2026-11-24T16:34:00', '0123456789ab', 'Average(n=3) *x*')).toBe('b2-2026-11-24T16_34_00-0123456789ab-Average_n_3___x_');
    expect(qsubOptions(jobSpec({ jobName: '3 jobs/1 @host' }))).toContain('b2-b2-run-1-0123456789ab-3_jobs_1__host');
  });

  it.each([
    ['a name setting, which would hide the run tag', { systemSettings: { N: 'mine' } }, '"N"'],
    ['binary mode', { systemSettings: { b: 'y' } }, '"b"'],
    ['a line break in a setting', { systemSettings: { P: 'a\nb' } }, 'line break'],
    ['a line break in a log path', { stdoutPath: '/data/a\nb/stdout' }, 'line break'],
    ['an option name with a dash', { systemSettings: { '-q': 'x' } }, '"-q"'],
  ])('rejects %s', (_what, overrides, mentioned) => {
    const error = thrownBy(() => renderSgeScript(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });
});

describe('Grid Engine options accepted by a real qsub', () => {
  // qstat-j-b2-script shows a job submitted with the options b2 gave it for this spec then (as #$ lines);
  // test/batch/sge-reader.test.ts checks today's argv against the real qsub.
  const dir = '/tmp/b2-capture/e2e/sge dir/ok';
  const job = jobSpec({
    runTag: 'e2e-tag',
    jobName: 'Fam ok',
    taskFileDir: dir,
    workingDir: dir,
    wrapperPath: `${dir}/job wrapper.sh`,
    stdoutPath: `${dir}/stdout`,
    stderrPath: `${dir}/stderr`,
    resources: { cpus: 2, memoryMb: 500 },
    systemOptions: { sge_memory_resource: 'h_vmem' },
  });

  it('read the name, shell, parallel environment and resources as given', () => {
    const options = qsubOptions(job);
    expect(options.join(' ')).toContain('-N b2-e2e-tag-0123456789ab-Fam_ok ');
    expect(options.join(' ')).toContain(' -S /bin/bash -pe smp 2 -l h_vmem=250M');
    const { stdout } = capture('sge', 'qstat-j-b2-script');
    expect(stdout).toMatch(/^job_name: +b2-e2e-tag-Fam_ok$/m);
    expect(stdout).toMatch(/^shell_list: +NONE:\/bin\/bash$/m);
    expect(stdout).toMatch(/^parallel environment: +smp range: 2$/m);
    expect(stdout).toMatch(/^hard resource_list: +h_vmem=250M$/m);
  });
});

describe('Grid Engine submission', () => {
  const adapter = createSgeAdapter();

  it('writes sge_job.sh and submits it with qsub -terse, never -b y', () => {
    const job = jobSpec();
    expect(adapter.submitFiles(job)).toEqual([{ path: '/data/tasks/n=3/Average/sge_job.sh', content: renderSgeScript(job), mode: 0o755 }]);
    expect(adapter.submitCommand(job, wrappedBin)).toEqual({
      argv: ['/opt/site/bin/wrap', 'qsub', ...BASE_OPTIONS, SCRIPT],
      cwd: '/data/tasks/n=3/Average',
    });
  });

  it.each([
    ['qsub-terse', '21'],
    ['qsub-plain', '22'],
  ])('reads the job id from %s', (name, id) => {
    const { stdout, stderr } = capture('sge', name);
    expect(parseQsubOutput(stdout, stderr)).toEqual({ ok: true, value: id });
  });

  it('reads an array job id', () => {
    expect(parseQsubOutput('4711.1-10:1\n', '')).toEqual({ ok: true, value: '4711' });
  });

  it.each([
    ['qsub-bad-queue', 'unknown queue "nosuch.q"'],
    ['qsub-bad-resource', 'unknown resource "nosuchres"'],
    ['qsub-missing-script', 'Unable to read script file'],
  ])('reports %s with qsub’s own words', (name, words) => {
    const { stdout, stderr } = capture('sge', name);
    const failure = failureOf(parseQsubOutput(stdout, stderr));
    expect(failure.reason).toBe('submit-failed');
    expect(failure.message).toContain(words);
  });
});

describe('Grid Engine states', () => {
  it.each(Object.entries(SGE_STATES))('maps listed state %s to %s', (code, state) => {
    expect(sgeState(code)).toBe(state);
  });

  it.each([
    ['qw', 'pending'],
    ['hqw', 'held'],
    ['r', 'running'],
    ['t', 'running'],
    ['Rr', 'running'],
    ['dr', 'running'],
    ['s', 'running'],
    ['S', 'running'],
    ['Eqw', 'held'],
    ['Ehqw', 'held'],
  ])('maps the common state %s to %s', (code, state) => {
    expect(sgeState(code)).toBe(state);
  });

  it.each([
    ['dqw', 'pending'],
    ['hr', 'running'],
    ['EhRwq', 'held'],
    ['z', 'unknown'],
    ['', 'unknown'],
  ])('reads the unlisted combination %j letter by letter as %s', (code, state) => {
    expect(sgeState(code)).toBe(state);
  });
});

describe('Grid Engine live queue', () => {
  const adapter = createSgeAdapter();

  it('asks qstat for the user’s jobs as XML', () => {
    expect(adapter.statusCommands(context(['21']), bin)).toEqual([{ argv: ['qstat', '-xml', '-u', 'alice'] }]);
  });

  it('reads running, pending, held and error states of the captured run', () => {
    const { stdout, stderr, exitCode } = capture('sge', 'qstat-xml-mixed');
    const result = parseQstatXml(stdout, stderr, exitCode, context([], 'cap'));
    expect(states(result)).toEqual({
      '23': 'running',
      '24': 'running',
      '26': 'held',
      '27': 'held',
      '28': 'pending',
      '29': 'held',
      '31': 'held',
    });
    expect(statuses(result).get('29')).toEqual({ jobId: '29', state: 'held', native: 'Eqw' });
    expect(statuses(result).get('26')).toEqual({ jobId: '26', state: 'held', native: 'hqw' });
  });

  it('leaves out jobs whose name does not carry the run tag', () => {
    const { stdout, stderr, exitCode } = capture('sge', 'qstat-xml-after-qdel');
    expect(Object.keys(states(parseQstatXml(stdout, stderr, exitCode, context([], 'cap')))).sort()).toEqual(['23', '26', '28', '29', '31']);
    // Without a context every job of the user is reported, including the foreign b2-wrapper-test.
    expect(statuses(parseQstatXml(stdout, stderr, exitCode)).has('34')).toBe(true);
  });

  it('reads an empty queue', () => {
    const { stdout, stderr, exitCode } = capture('sge', 'qstat-xml-nobody');
    expect(statuses(parseQstatXml(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('decodes XML entities in names', () => {
    const xml = `<?xml version='1.0'?>\n<job_info>\n <queue_info>\n  <job_list state="running">\n   <JB_job_number>5</JB_job_number>\n   <JB_name>b2&#45;t&#x2D;a&amp;b</JB_name>\n   <state>r</state>\n  </job_list>\n </queue_info>\n</job_info>\n`;
    expect(states(parseQstatXml(xml, '', 0, context([], 't')))).toEqual({ '5': 'running' });
  });

  it('fails on an error exit or output that is not qstat XML', () => {
    expect(failureOf(parseQstatXml('', 'error: commlib error: got select error (Connection refused)\n', 1)).message).toContain(
      'qstat failed with exit status 1: error: commlib error',
    );
    expect(failureOf(parseQstatXml('job-ID prior name\n', '', 0)).message).toContain('no <job_info> element');
  });

  it('gets the error reason of an Eqw job from qstat -j', () => {
    expect(adapter.errorReasonCommand('29', bin)).toEqual({ argv: ['qstat', '-j', '29'] });
    const eqw = capture('sge', 'qstat-j-eqw');
    expect(adapter.parseErrorReason(eqw.stdout, eqw.stderr, eqw.exitCode)).toBe(
      'error: can\'t open output file "/nonexistent/dir/x.out": No such file or directory',
    );
    const exit100 = capture('sge', 'qstat-j-exit100');
    expect(parseSgeErrorReason(exit100.stdout)).toBe('exit_status of job start = 100');
    const unknown = capture('sge', 'qstat-j-unknown');
    expect(adapter.parseErrorReason(unknown.stdout, unknown.stderr, unknown.exitCode)).toBeUndefined();
  });
});

describe('Grid Engine history', () => {
  const adapter = createSgeAdapter();

  it('asks qacct once for every finished job of the run, by name', () => {
    expect(adapter.historyCommands!(['21', '22'], context(['21', '22']), bin)).toEqual([{ argv: ['qacct', '-j', 'b2-b2-run-1-*'] }]);
    expect(adapter.historyCommands!([], context([]), bin)).toEqual([]);
  });

  it.each([
    ['qacct-succeeded', { jobId: '21', state: 'succeeded', native: 'failed 0, exit_status 0', exitCode: 0 }],
    ['qacct-failed-exit3', { jobId: '22', state: 'failed', native: 'failed 0, exit_status 3', exitCode: 3 }],
    [
      'qacct-timeout',
      {
        jobId: '25',
        state: 'timeout',
        native: 'failed 37, exit_status 137',
        exitCode: 137,
        signal: 9,
        reason: 'qmaster enforced h_rt, h_cpu, or h_vmem limit',
      },
    ],
    [
      'qacct-deleted-running',
      { jobId: '24', state: 'failed', native: 'failed 100, exit_status 137', exitCode: 137, signal: 9, reason: 'assumedly after job' },
    ],
    [
      'qacct-killed-signal',
      { jobId: '30', state: 'failed', native: 'failed 100, exit_status 137', exitCode: 137, signal: 9, reason: 'assumedly after job' },
    ],
    [
      'qacct-exit100',
      { jobId: '31', state: 'failed', native: 'failed 30, exit_status 100', exitCode: 100, reason: 'application error returned' },
    ],
    ['qacct-deleted-eqw', { jobId: '29', state: 'failed', native: 'failed 26, exit_status 0', exitCode: 0, reason: 'opening input/output file' }],
  ])('reads %s', (name, expected) => {
    const { stdout, stderr, exitCode } = capture('sge', name);
    expect([...statuses(parseQacctOutput(stdout, stderr, exitCode)).values()]).toEqual([expected]);
  });

  it('reads every record a name pattern finds, keeping the run’s ids', () => {
    const { stdout, stderr, exitCode } = capture('sge', 'qacct-name-pattern-all');
    expect(states(parseQacctOutput(stdout, stderr, exitCode))).toEqual({
      '21': 'succeeded',
      '22': 'failed',
      '23': 'failed',
      '24': 'failed',
      '25': 'timeout',
      '29': 'failed',
      '30': 'failed',
      '31': 'failed',
    });
    expect(Object.keys(states(parseQacctOutput(stdout, stderr, exitCode, context(['21', '25'], 'cap'))))).toEqual(['21', '25']);
  });

  it('keeps the last record of a job that ran twice', () => {
    const first = capture('sge', 'qacct-failed-exit3').stdout;
    const second = first.replace(/^exit_status\s+3\s*$/m, 'exit_status  0');
    expect(states(parseQacctOutput(first + second, '', 0))).toEqual({ '22': 'succeeded' });
  });

  it.each(['qacct-deleted-pending', 'qacct-unknown-id', 'qacct-name-pattern-none'])('treats %s (no record) as absent', (name) => {
    const { stdout, stderr, exitCode } = capture('sge', name);
    expect(statuses(parseQacctOutput(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('fails when qacct cannot read the accounting file', () => {
    const failure = failureOf(parseQacctOutput('', 'error: unable to open accounting file "/var/lib/gridengine/default/common/accounting"\n', 1));
    expect(failure.reason).toBe('status-query-failed');
  });
});

describe('Grid Engine kill and detection', () => {
  it('deletes ids in batches', () => {
    const ids = Array.from({ length: 600 }, (_, i) => String(i + 1));
    expect(createSgeAdapter().killCommands(ids, bin).map((c) => c.argv.length)).toEqual([501, 101]);
  });

  it('recognises Grid Engine from qstat -help', () => {
    expect(isGridEngineHelp(capture('sge', 'qstat-help').stdout)).toBe(true);
  });

  it.each([
    ['UGE 8.6.4\nusage: qstat [options]\n', true],
    ['OGS/GE 2011.11p1\nusage: qstat [options]\n', true],
    ['GE 6.2u5\nusage: qstat [options]\n', true],
    ['usage: qstat [-f] [-a] [-i] [-n] [-s] [-R] [-G|-M] [-Q [-f]] [-B [-f]] [job_id...]\n', false],
    ["qstat: invalid option -- 'h'\n", false],
    ['', false],
  ])('reads %j as Grid Engine: %s', (text, expected) => {
    expect(isGridEngineHelp(text)).toBe(expected);
  });
});
