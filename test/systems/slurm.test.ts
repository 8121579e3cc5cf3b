import { describe, expect, it } from '@jest/globals';
import {
  SLURM_STATES,
  createSlurmAdapter,
  parseSacctOutput,
  parseSbatchOutput,
  parseScontrolOutput,
  parseSlurmAccountingProbe,
  parseSqueueOutput,
  probeSlurmAccountingCommand,
  renderSlurmScript,
  sbatchOptions,
  slurmState,
  slurmTime,
} from '../../src/systems/slurm.js';
import { bin, capture, context, failureOf, jobSpec, states, statuses, thrownBy, wrappedBin } from './helpers.js';

const WRAPPER = '/data/tasks/n=3/Average/job_wrapper.sh';
const SCRIPT = '/data/tasks/n=3/Average/slurm_job.sh';

const BASE_OPTIONS = [
  '--parsable',
  '--output=/data/logs/n=3/Average/stdout',
  '--error=/data/logs/n=3/Average/stderr',
  '--job-name=Average',
  '--comment=b2-run-1.0123456789ab',
];

describe('Slurm batch script and options', () => {
  it('passes logs, job name and run tag as sbatch options and writes a script that execs the wrapper', () => {
    const job = jobSpec();
    expect(sbatchOptions(job)).toEqual(BASE_OPTIONS);
    expect(renderSlurmScript(job)).toBe(
      [
        '#!/bin/bash',
        '# b2 batch script for Slurm, rendered by src/systems/slurm.ts. Its options are',
        "# on sbatch's command line, never in #SBATCH lines (sbatch's own reader of",
        '# those would take a quote or a backslash in a value for syntax). Submitted',
        '# from this folder with:',
        `# sbatch ${BASE_OPTIONS.join(' ')} ${SCRIPT}`,
        '# The job runs the b2 job wrapper, whose exit-status file decides success.',
        '# Slurm opens the log files.',
        `exec ${WRAPPER}`,
        '',
      ].join('\n'),
    );
  });

  it('maps generic resources to cpus-per-task, mem in MB, time and partition', () => {
    expect(sbatchOptions(jobSpec({ resources: { cpus: 4, memoryMb: 2000.5, walltimeSeconds: 90061, queue: 'long' } }))).toEqual([
      ...BASE_OPTIONS,
      '--cpus-per-task=4',
      '--mem=2001M',
      '--time=1-01:01:01',
      '--partition=long',
    ]);
  });

  it('lets slurm_settings replace generated options in place, add new ones and remove with false', () => {
    const options = sbatchOptions(
      jobSpec({
        resources: { cpus: 2, walltimeSeconds: 600, queue: 'short' },
        systemSettings: { t: '2:00:00', partition: false, export: 'NONE', requeue: true, 'mail-type': 'END,FAIL', ntasks: 1, w: 'node[1-2]' },
      }),
    );
    expect(options).toEqual([
      ...BASE_OPTIONS,
      '--cpus-per-task=2',
      '--time=2:00:00',
      '--export=NONE',
      '--requeue',
      '--mail-type=END,FAIL',
      '--ntasks=1',
      '-w',
      'node[1-2]',
    ]);
  });

  it('passes each value as one argv element, keeps % literal in log paths and shows the command quoted for bash', () => {
    const dir = "/data/it's 100% $HOME";
    const job = jobSpec({ stdoutPath: `${dir}/stdout`, stderrPath: `${dir}/stderr`, jobName: "x\\' --array=1-3 #", wrapperPath: `${dir}/job wrapper.sh` });
    expect(sbatchOptions(job)).toEqual([
      '--parsable',
      `--output=${dir.replace('%', '%%')}/stdout`,
      `--error=${dir.replace('%', '%%')}/stderr`,
      "--job-name=x\\' --array=1-3 #",
      '--comment=b2-run-1.0123456789ab',
    ]);
    const text = renderSlurmScript(job);
    expect(text).not.toMatch(/^#SBATCH/m);
    expect(text).toContain(`# sbatch --parsable '--output=/data/it'\\''s 100%% $HOME/stdout' `);
    expect(text).toContain(`exec '/data/it'\\''s 100% $HOME/job wrapper.sh'\n`);
  });

  it('has the script open log paths with a backslash, which Slurm would strip, and gives Slurm /dev/null', () => {
    const dir = '/data/logs/value=a\\b';
    const job = jobSpec({ stdoutPath: `${dir}/stdout`, stderrPath: `${dir}/stderr` });
    expect(sbatchOptions(job).slice(1, 3)).toEqual(['--output=/dev/null', '--error=/dev/null']);
    expect(renderSlurmScript(job)).toContain(`\nexec >'${dir}/stdout' 2>'${dir}/stderr'\nexec ${WRAPPER}\n`);
  });

  it.each([
    ['a comment setting, which would hide the run tag', { systemSettings: { comment: 'mine' } }, 'comment'],
    ['an option name with dashes', { systemSettings: { '--time': '1:00' } }, '"--time"'],
    ['a line break in a value', { systemSettings: { account: 'a\nb' } }, 'line break'],
    ['a line break in the job name', { jobName: 'a\nb' }, 'line break'],
    ['a line break in a log path', { stdoutPath: '/data/a\nb/stdout' }, 'line break'],
    ['zero cpus', { resources: { cpus: 0 } }, 'cpus'],
    ['negative memory', { resources: { memoryMb: -1 } }, 'memory'],
  ])('rejects %s', (_what, overrides, mentioned) => {
    const error = thrownBy(() => sbatchOptions(jobSpec(overrides)));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });

  it.each([
    [59, '0:00:59'],
    [3600, '1:00:00'],
    [86399, '23:59:59'],
    [86400, '1-00:00:00'],
    [3 * 86400 + 7 * 3600 + 5, '3-07:00:05'],
  ])('writes a walltime of %i s as %s', (seconds, text) => {
    expect(slurmTime(seconds)).toBe(text);
  });
});

describe('Slurm options accepted by a real sbatch', () => {
  // scontrol-b2-script shows a job submitted with these options.
  const dir = "/tmp/b2-capture/e2e/slurm it's %x dir/ok";
  const job = jobSpec({
    runTag: 'e2e-tag',
    jobName: 'Fam ok',
    taskFileDir: dir,
    wrapperPath: `${dir}/job wrapper.sh`,
    stdoutPath: `${dir}/stdout`,
    stderrPath: `${dir}/stderr`,
    resources: { cpus: 2, memoryMb: 500 },
  });

  it('gave the job the name, tag and resources the options ask for', () => {
    const options = sbatchOptions(job);
    expect(options).toContain('--job-name=Fam ok');
    expect(options).toContain("--output=/tmp/b2-capture/e2e/slurm it's %%x dir/ok/stdout");
    const { stdout, stderr, exitCode } = capture('slurm', 'scontrol-b2-script');
    expect(stdout).toContain(' JobName=Fam ok ');
    expect(stdout).toContain(' CPUs/Task=2 ');
    expect(stdout).toContain(' MinMemoryNode=500M ');
    expect(states(parseScontrolOutput(stdout, stderr, exitCode, context(['36'], 'e2e-tag')))).toEqual({ '36': 'succeeded' });
  });
});

describe('Slurm submission', () => {
  const adapter = createSlurmAdapter();

  it('writes slurm_job.sh next to the task and submits it with sbatch and its options from there', () => {
    const job = jobSpec();
    expect(adapter.submitFiles(job)).toEqual([
      { path: '/data/tasks/n=3/Average/slurm_job.sh', content: renderSlurmScript(job), mode: 0o755 },
    ]);
    expect(adapter.submitCommand(job, wrappedBin)).toEqual({
      argv: ['/opt/site/bin/wrap', 'sbatch', ...BASE_OPTIONS, '/data/tasks/n=3/Average/slurm_job.sh'],
      cwd: '/data/tasks/n=3/Average',
    });
  });

  it.each([
    ['sbatch-parsable', '3'],
    ['sbatch-plain', '4'],
  ])('reads the job id from %s', (name, id) => {
    const { stdout, stderr } = capture('slurm', name);
    expect(parseSbatchOutput(stdout, stderr)).toEqual({ ok: true, value: id });
  });

  it('takes the id before ;cluster', () => {
    expect(parseSbatchOutput('4711;cluster-b\n', '')).toEqual({ ok: true, value: '4711' });
  });

  it.each([
    ['sbatch-bad-mem', 'Memory specification can not be satisfied'],
    ['sbatch-bad-partition', 'invalid partition specified: nosuch'],
  ])('reports %s with sbatch’s own words', (name, words) => {
    const { stdout, stderr } = capture('slurm', name);
    const failure = failureOf(parseSbatchOutput(stdout, stderr));
    expect(failure.reason).toBe('submit-failed');
    expect(failure.message).toContain(words);
  });
});

describe('Slurm states', () => {
  const EXPECTED: ReadonlyArray<readonly [string, string]> = [
    ['PENDING', 'pending'],
    ['CONFIGURING', 'pending'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['COMPLETED', 'succeeded'],
    ['FAILED', 'failed'],
    ['CANCELLED', 'cancelled'],
    ['TIMEOUT', 'timeout'],
    ['NODE_FAIL', 'failed'],
    ['OUT_OF_MEMORY', 'failed'],
    ['PREEMPTED', 'failed'],
    ['SUSPENDED', 'running'],
    ['BOOT_FAIL', 'failed'],
    ['DEADLINE', 'timeout'],
    ['REQUEUED', 'pending'],
    ['REQUEUE_FED', 'pending'],
    ['REQUEUE_HOLD', 'held'],
    ['RESIZING', 'running'],
    ['REVOKED', 'cancelled'],
    ['SIGNALING', 'running'],
    ['SPECIAL_EXIT', 'held'],
    ['STAGE_OUT', 'running'],
    ['STOPPED', 'running'],
    ['RESV_DEL_HOLD', 'held'],
  ];

  it('has exactly the states Slurm documents', () => {
    expect(Object.keys(SLURM_STATES).sort()).toEqual(EXPECTED.map(([name]) => name).sort());
  });

  it.each(EXPECTED)('maps %s to %s', (native, state) => {
    expect(slurmState(native)).toBe(state);
  });

  it.each([
    ['CANCELLED by 0', 'cancelled'],
    ['CANCELLED by 1000', 'cancelled'],
    ['CANCELLED+', 'cancelled'],
    ['OUT_OF_ME+', 'failed'],
    ['NODE_FA+', 'failed'],
    ['REQUEUE+', 'unknown'], // REQUEUED, REQUEUE_FED or REQUEUE_HOLD: cannot tell
    ['LAUNCH_FAILED', 'unknown'],
    ['', 'unknown'],
  ])('reads %j as %s', (native, state) => {
    expect(slurmState(native)).toBe(state);
  });
});

describe('Slurm live queue', () => {
  const adapter = createSlurmAdapter();

  it('asks squeue for every state of the run’s ids in one command', () => {
    expect(adapter.statusCommands(context(['3', '4', '5']), bin)).toEqual([
      { argv: ['squeue', '-h', '-r', '-t', 'all', '-o', '%i|%T|%r|%k', '-j', '3,4,5'] },
    ]);
  });

  it('asks for the user’s jobs when it has no ids', () => {
    expect(adapter.taggedJobsCommand(context([]), bin).argv).toEqual(['squeue', '-h', '-r', '-t', 'all', '-o', '%i|%T|%r|%k', '-u', 'alice']);
    expect(adapter.statusCommands(context([]), bin)).toEqual([]);
  });

  it('splits many ids into commands of 500', () => {
    const ids = Array.from({ length: 1001 }, (_, i) => String(1000 + i));
    const commands = adapter.statusCommands(context(ids), bin);
    expect(commands.map((c) => c.argv.at(-1)!.split(',').length)).toEqual([500, 500, 1]);
    expect(commands[2]!.argv.at(-1)).toBe('2000');
  });

  it('reads every state of the captured run, with pending and failure reasons', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'squeue-all-states');
    const result = parseSqueueOutput(stdout, stderr, exitCode, context([], 'b2cap'));
    expect(states(result)).toEqual({
      '3': 'succeeded',
      '4': 'failed',
      '5': 'running',
      '6': 'timeout',
      '7': 'held',
      '8': 'pending',
      '9': 'failed',
      '10': 'cancelled',
      '11': 'cancelled',
    });
    const map = statuses(result);
    expect(map.get('4')).toEqual({ jobId: '4', state: 'failed', native: 'FAILED', reason: 'NonZeroExitCode' });
    expect(map.get('8')).toEqual({ jobId: '8', state: 'pending', native: 'PENDING', reason: 'PartitionConfig' });
    // scontrol hold: pending until released, so held.
    expect(map.get('7')).toEqual({ jobId: '7', state: 'held', native: 'PENDING', reason: 'JobHeldUser' });
    expect(map.get('5')).toEqual({ jobId: '5', state: 'running', native: 'RUNNING' });
  });

  it('reads jobs submitted with b2’s own scripts', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'squeue-b2-scripts');
    expect(states(parseSqueueOutput(stdout, stderr, exitCode, context(['36', '37', '38'], 'e2e-tag')))).toEqual({
      '36': 'succeeded',
      '37': 'failed',
      '38': 'timeout',
    });
  });

  it('leaves out jobs tagged for another run', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'squeue-mixed-live');
    expect(statuses(parseSqueueOutput(stdout, stderr, exitCode, context(['3'], 'b2-other'))).size).toBe(0);
    expect(statuses(parseSqueueOutput(stdout, stderr, exitCode)).size).toBe(9);
  });

  it.each([
    ['squeue-unknown-single', 0],
    ['squeue-unknown-several', 0],
    ['squeue-unknown-and-known', 1],
  ])('treats purged ids in %s as absent, not as a failed query', (name, found) => {
    const { stdout, stderr, exitCode } = capture('slurm', name);
    expect(statuses(parseSqueueOutput(stdout, stderr, exitCode)).size).toBe(found);
  });

  it('fails when the controller does not answer', () => {
    const failure = failureOf(parseSqueueOutput('', 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', 1));
    expect(failure.reason).toBe('status-query-failed');
    expect(failure.message).toBe('squeue failed with exit status 1: slurm_load_jobs error: Unable to contact slurm controller (connect failure)');
  });
});

describe('Slurm history', () => {
  const ids = ['3', '4'];

  it.each([
    ['sacct', [['sacct', '-n', '-P', '-X', '-j', '3,4', '-o', 'JobID,State,ExitCode']]],
    ['sacct-completion', [['sacct', '-c', '-n', '-P', '-j', '3,4', '-o', 'JobID,State,ExitCode']]],
    [
      'scontrol',
      [
        ['scontrol', 'show', 'job', '-o', '3'],
        ['scontrol', 'show', 'job', '-o', '4'],
      ],
    ],
  ] as const)('builds the %s history commands', (history, argvs) => {
    const adapter = createSlurmAdapter({ history });
    expect(adapter.history).toBe(history);
    expect(adapter.historyCommands!(ids, context(ids), bin).map((c) => c.argv)).toEqual(argvs);
  });

  it('reads the job completion log with exit codes and signals', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'sacct-completion');
    const map = statuses(parseSacctOutput(stdout, stderr, exitCode));
    expect([...map.values()].sort((a, b) => Number(a.jobId) - Number(b.jobId))).toEqual([
      { jobId: '3', state: 'succeeded', native: 'COMPLETED', exitCode: 0 },
      { jobId: '4', state: 'failed', native: 'FAILED', exitCode: 3 },
      { jobId: '6', state: 'timeout', native: 'TIMEOUT', exitCode: 0 },
      { jobId: '9', state: 'failed', native: 'FAILED', exitCode: 0, signal: 9 },
      { jobId: '10', state: 'cancelled', native: 'CANCELLED', exitCode: 0 },
      { jobId: '11', state: 'cancelled', native: 'CANCELLED', exitCode: 0 },
    ]);
  });

  it('reads the accounting database, including who cancelled a job', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'documented-sacct-dbd');
    const result = parseSacctOutput(stdout, stderr, exitCode);
    expect(states(result)).toEqual({
      '219': 'succeeded',
      '220': 'failed',
      '221': 'cancelled',
      '222': 'timeout',
      '223': 'pending',
      '224': 'failed',
      '225': 'running',
    });
    expect(statuses(result).get('221')).toEqual({ jobId: '221', state: 'cancelled', native: 'CANCELLED by 0', exitCode: 0, reason: 'CANCELLED by 0' });
  });

  it('skips job steps', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'documented-sacct-dbd-steps');
    expect([...statuses(parseSacctOutput(stdout, stderr, exitCode)).keys()]).toEqual(['221']);
  });

  it('gives nothing for unknown ids', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'sacct-completion-unknown');
    expect(statuses(parseSacctOutput(stdout, stderr, exitCode)).size).toBe(0);
  });

  it('says which mode to use when the database is missing', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'sacct-dbd-disabled');
    const failure = failureOf(createSlurmAdapter({ history: 'sacct' }).parseHistoryOutput!(stdout, stderr, exitCode));
    expect(failure.message).toContain('Slurm accounting storage is disabled');
    expect(failure.hint).toContain('sacct-completion');
  });

  it.each([
    ['scontrol-completed', { state: 'succeeded', native: 'COMPLETED', exitCode: 0 }],
    ['scontrol-failed-exit3', { state: 'failed', native: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode' }],
    ['scontrol-failed-signal', { state: 'failed', native: 'FAILED', exitCode: 0, signal: 9, reason: 'JobLaunchFailure' }],
    ['scontrol-timeout', { state: 'timeout', native: 'TIMEOUT', exitCode: 0, signal: 15, reason: 'TimeLimit' }],
    ['scontrol-cancelled-running', { state: 'cancelled', native: 'CANCELLED', exitCode: 0, signal: 15 }],
    ['scontrol-cancelled-pending', { state: 'cancelled', native: 'CANCELLED', exitCode: 0, reason: 'JobHeldUser' }],
    ['scontrol-pending-held', { state: 'held', native: 'PENDING', exitCode: 0, reason: 'JobHeldUser' }],
    ['scontrol-pending-partitionconfig', { state: 'pending', native: 'PENDING', exitCode: 0, reason: 'PartitionConfig' }],
    ['scontrol-running', { state: 'running', native: 'RUNNING', exitCode: 0 }],
  ])('reads %s', (name, expected) => {
    const { stdout, stderr, exitCode } = capture('slurm', name);
    const map = statuses(parseScontrolOutput(stdout, stderr, exitCode, context([], 'b2cap')));
    const [jobId] = [...map.keys()];
    expect(map.get(jobId!)).toEqual({ jobId, ...expected });
  });

  it('treats a purged id as absent and drops other runs’ jobs', () => {
    const unknown = capture('slurm', 'scontrol-unknown');
    expect(statuses(parseScontrolOutput(unknown.stdout, unknown.stderr, unknown.exitCode)).size).toBe(0);
    const completed = capture('slurm', 'scontrol-completed');
    expect(statuses(parseScontrolOutput(completed.stdout, completed.stderr, completed.exitCode, context([], 'b2-other'))).size).toBe(0);
  });

  it('reads several multi-line records', () => {
    const text = [
      'JobId=7 JobName=a',
      '   JobState=FAILED Reason=NonZeroExitCode Dependency=(null)',
      '   ExitCode=2:0 Comment=tag',
      '',
      'JobId=8 ArrayJobId=8 ArrayTaskId=1 JobName=b',
      '   JobState=RUNNING Reason=None Dependency=(null)',
      '   ExitCode=0:0 Comment=tag',
      '',
    ].join('\n');
    // An array element is named by its array and index, not the job id Slurm gave it.
    expect(states(parseScontrolOutput(text, '', 0, context([], 'tag')))).toEqual({ '7': 'failed', '8_1': 'running' });
  });
});

describe('Slurm accounting probe', () => {
  it('runs a sacct that answers quickly', () => {
    expect(probeSlurmAccountingCommand(bin).argv).toEqual(['sacct', '-n', '-P', '-X', '-S', 'now', '-o', 'JobID']);
  });

  it.each([
    ['a working database', '', '', 0, 'sacct'],
    ['no database', '', 'Slurm accounting storage is disabled\n', 1, 'sacct-completion'],
    ['no sacct at all', '', 'sacct: command not found\n', 127, 'scontrol'],
  ] as const)('chooses the mode for %s', (_what, stdout, stderr, exitCode, mode) => {
    expect(parseSlurmAccountingProbe(stdout, stderr, exitCode)).toBe(mode);
  });

  it('reads the captured probe of a cluster without a database', () => {
    const { stdout, stderr, exitCode } = capture('slurm', 'sacct-probe');
    expect(parseSlurmAccountingProbe(stdout, stderr, exitCode)).toBe('sacct-completion');
  });
});

describe('Slurm kill', () => {
  it('cancels ids in batches of 500', () => {
    const ids = Array.from({ length: 501 }, (_, i) => String(i + 1));
    const commands = createSlurmAdapter().killCommands(ids, bin);
    expect(commands.map((c) => c.argv.length)).toEqual([501, 2]);
    expect(commands[1]!.argv).toEqual(['scancel', '501']);
  });
});
