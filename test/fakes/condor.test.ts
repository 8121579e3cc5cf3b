// The HTCondor simulator: job life cycle, output formats, removal and walltime.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { file, groupAlive, read, run, script, until } from './support.js';

// Real processes on a shared machine: allow for heavy load.
jest.setTimeout(180_000);

let cluster: FakeCluster;
// Finished jobs stay in condor_q for a minute unless a test wants to see them leave.
beforeEach(() => {
  cluster = createFakeCluster({ faults: { condorQueueLingerMs: 60_000 } });
});
afterEach(() => cluster.cleanup());

const submit = (text: string, args: string[] = []) => run(cluster, 'condor_submit', [...args, file(cluster, `job${Math.random()}.sub`, text)]);
const jsonQ = (cmd: string, args: string[]) => {
  const r = run(cluster, cmd, ['-json', ...args]);
  expect(r.status).toBe(0);
  return r.stdout === '' ? [] : (JSON.parse(r.stdout) as Array<Record<string, unknown>>);
};

describe('condor_submit', () => {
  it('prints the documented lines and runs the job to completion with its output files and event log', async () => {
    // The job waits for a "go" file, so the test sees it running however slow the machine is.
    script(cluster, 'hello.sh', 'echo "out $1|$2|$PWD"; echo "err line" >&2; while [ ! -e go ]; do sleep 0.05; done');
    const r = submit('universe = vanilla\nexecutable = hello.sh\narguments = "one \'two words\'"\noutput = o.$(Cluster).$(Process)\nerror = e.$(Cluster).$(Process)\nlog = job.log\nqueue\n');
    expect(r).toEqual({ stdout: 'Submitting job(s).\n1 job(s) submitted to cluster 1.\n', stderr: '', status: 0 });

    await until(() => jsonQ('condor_q', ['-attributes', 'JobStatus']).some((a) => a.JobStatus === 2), 10_000, 'running');
    file(cluster, 'go', '');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    expect(read(cluster, 'o.1.0')).toBe(`out one|two words|${cluster.dir}\n`);
    expect(read(cluster, 'e.1.0')).toBe('err line\n');

    const log = read(cluster, 'job.log');
    const date = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
    expect(log).toMatch(new RegExp(`^000 \\(001\\.000\\.000\\) ${date} Job submitted from host: <[^>]+>\n\\.\\.\\.\n001 \\(001\\.000\\.000\\) ${date} Job executing on host: <[^>]+>\n\\.\\.\\.\n005 \\(001\\.000\\.000\\) ${date} Job terminated\\.\n`));
    expect(log).toContain(
      '\t(1) Normal termination (return value 0)\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Remote Usage\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Local Usage\n' +
        '\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Total Remote Usage\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Total Local Usage\n' +
        '\t0  -  Run Bytes Sent By Job\n\t0  -  Run Bytes Received By Job\n\t0  -  Total Bytes Sent By Job\n\t0  -  Total Bytes Received By Job\n' +
        '\tPartitionable Resources :    Usage  Request Allocated\n\t   Cpus                 :                 1         1\n',
    );
    expect(log.endsWith('...\n')).toBe(true);
  });

  it('prints "C.0 - C.N" with -terse and one dot per proc otherwise', () => {
    script(cluster, 'true.sh', 'exit 0');
    expect(submit('executable = true.sh\nqueue 3\n', ['-terse']).stdout).toBe('1.0 - 1.2\n');
    expect(submit('executable = true.sh\nqueue 3\n').stdout).toBe('Submitting job(s)...\n3 job(s) submitted to cluster 2.\n');
  });

  it('starts a new cluster where the executable changes between queue statements, one output line each', () => {
    script(cluster, 'a.sh', 'exit 0');
    script(cluster, 'b.sh', 'exit 3');
    const description = 'executable = a.sh\nqueue 2\nexecutable = b.sh\nqueue\nexecutable = a.sh\nqueue\n';
    expect(submit(description, ['-terse']).stdout).toBe('1.0 - 1.1\n2.0 - 2.0\n3.0 - 3.0\n');
    expect(submit(description).stdout).toBe(
      'Submitting job(s)....\n2 job(s) submitted to cluster 4.\n1 job(s) submitted to cluster 5.\n1 job(s) submitted to cluster 6.\n',
    );
    const ads = jsonQ('condor_q', ['-attributes', 'ClusterId,ProcId,Cmd', '4', '5', '6']);
    expect(ads.map((ad) => [`${ad.ClusterId}.${ad.ProcId}`, path.basename(String(ad.Cmd))])).toEqual([
      ['4.0', 'a.sh'],
      ['4.1', 'a.sh'],
      ['5.0', 'b.sh'],
      ['6.0', 'a.sh'],
    ]);
  });

  it('prints job ads in verbose mode when the description comes from stdin', () => {
    script(cluster, 'true.sh', 'exit 0');
    const r = run(cluster, 'condor_submit', ['-'], { input: 'executable = true.sh\n+B2Tag = "x"\nqueue\n' });
    expect(r.stdout).toMatch(/^\*\* Proc 1\.0:\n/);
    expect(r.stdout).toContain('\nB2Tag = "x"\n');
    expect(r.stdout).toContain('\nJobStatus = 1\n');
  });

  it('reports a missing executable and a parse error the documented way', () => {
    const missing = submit('executable = nope.sh\nqueue\n');
    expect(missing).toEqual({ stdout: '', stderr: `\nERROR: Can't access executable file ${path.join(cluster.dir, 'nope.sh')}: No such file or directory\n`, status: 1 });
    script(cluster, 'true.sh', 'exit 0');
    const bad = submit('executable = true.sh\nthis is not a submit line\nqueue\n');
    expect(bad).toEqual({ stdout: '', stderr: '\nERROR: Failed to parse command file (line 2).\n', status: 1 });
    expect(cluster.jobs()).toEqual([]);
  });

  it('resolves relative paths against initialdir, passes environment and -batch-name', async () => {
    cluster.setFaults({ condorQueueLingerMs: 300 });
    fs.mkdirSync(path.join(cluster.dir, 'work'));
    script(cluster, 'env.sh', 'echo "$PWD $FOO $BAR $BATCH_SYSTEM"');
    submit('executable = env.sh\ninitialdir = work\noutput = out.txt\nenvironment = "FOO=1 BAR=\'two words\'"\nqueue\n', ['-batch-name', 'nightly']);
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    expect(read(cluster, 'work/out.txt')).toBe(`${path.join(cluster.dir, 'work')} 1 two words HTCondor\n`);
    const history = await until(() => {
      const ads = jsonQ('condor_history', ['-attributes', 'JobBatchName,Iwd']);
      return ads.length ? ads : undefined;
    }, 15_000, 'history');
    expect(history).toEqual([{ Iwd: path.join(cluster.dir, 'work'), JobBatchName: 'nightly' }]);
  });

  it('transfers input files into a scratch folder and output files back', async () => {
    file(cluster, 'in/data.txt', 'payload\n');
    script(cluster, 'xfer.sh', 'cat data.txt > result.txt; echo "$PWD" > where.txt');
    submit('executable = xfer.sh\nshould_transfer_files = YES\ntransfer_input_files = in/data.txt\nqueue\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    expect(read(cluster, 'result.txt')).toBe('payload\n');
    expect(read(cluster, 'where.txt')).not.toBe(`${cluster.dir}\n`);
    expect(fs.existsSync(path.join(cluster.dir, 'data.txt'))).toBe(false);
  });
});

describe('condor_q and condor_history', () => {
  it('prints the documented empty table, empty -json output and "[\\n]\\n" from condor_history', () => {
    const q = run(cluster, 'condor_q');
    expect(q.status).toBe(0);
    expect(q.stdout).toMatch(/^\n\n-- Schedd: \S+ : <127\.0\.0\.1:9618\?\.\.\. @ \d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\n/);
    expect(q.stdout.split('\n').slice(3).join('\n')).toBe(
      'OWNER BATCH_NAME      SUBMITTED   DONE   RUN    IDLE   HOLD  TOTAL JOB_IDS\n\n' +
        'Total for query: 0 jobs; 0 completed, 0 removed, 0 idle, 0 running, 0 held, 0 suspended\n' +
        'Total for all users: 0 jobs; 0 completed, 0 removed, 0 idle, 0 running, 0 held, 0 suspended\n',
    );
    expect(run(cluster, 'condor_q', ['-json'])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(run(cluster, 'condor_q', ['12.0', '-json'])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(run(cluster, 'condor_history', ['-json', '-match', '1', '12.0'])).toEqual({ stdout: '[\n]\n', stderr: '', status: 0 });
  });

  it('writes JSON exactly like the HTCondor JSON sink: sorted keys, 2-space indent, ",\\n" separators, no missing attributes', async () => {
    script(cluster, 'sleep.sh', 'sleep 30');
    submit('executable = sleep.sh\n+B2Tag = "run/1"\n+zeta = 2.5\n+alpha = true\n+Expr = JobStatus + 1\nqueue 2\n');
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs.every((j) => j.state === 'running'));
    const r = run(cluster, 'condor_q', ['-json', '-attributes', 'ProcId,JobStatus,ExitCode,B2Tag,zeta,alpha,Expr,ClusterId']);
    expect(r.stdout).toBe(
      '[\n' +
        '{\n  "alpha": true,\n  "B2Tag": "run/1",\n  "ClusterId": 1,\n  "Expr": "\\/Expr(JobStatus + 1)\\/",\n  "JobStatus": 2,\n  "ProcId": 0,\n  "zeta": 2.5\n}\n' +
        ',\n' +
        '{\n  "alpha": true,\n  "B2Tag": "run/1",\n  "ClusterId": 1,\n  "Expr": "\\/Expr(JobStatus + 1)\\/",\n  "JobStatus": 2,\n  "ProcId": 1,\n  "zeta": 2.5\n}\n' +
        ']\n',
    );
    const all = JSON.parse(run(cluster, 'condor_q', ['-json']).stdout) as Array<Record<string, unknown>>;
    const keys = Object.keys(all[0]!);
    expect(keys).toEqual([...keys].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(all[0]).toMatchObject({ Owner: expect.any(String), Cmd: path.join(cluster.dir, 'sleep.sh'), Iwd: cluster.dir, QDate: expect.any(Number), EnteredCurrentStatus: expect.any(Number) });
    expect(all[0]).not.toHaveProperty('ExitCode');
  });

  it('prints -af values, "undefined" for missing attributes, and -af:j / -af:lng forms', async () => {
    script(cluster, 'sleep.sh', 'sleep 30');
    submit('executable = sleep.sh\n+B2Tag = "t1"\nqueue\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'running');
    expect(run(cluster, 'condor_q', ['-af:j', 'JobStatus', 'ExitCode', 'B2Tag']).stdout).toBe('1.0 2 undefined t1\n');
    expect(run(cluster, 'condor_q', ['-af', 'B2Tag', 'JobStatus == 2']).stdout).toBe('t1 true\n');
    expect(run(cluster, 'condor_q', ['1', '-af:lng', 'ClusterId', 'ExitCode']).stdout).toBe('ClusterId = 1\nExitCode = undefined\n');
  });

  it('filters with -constraint (==, !=, =?=, &&, ||, parentheses) and rejects bad expressions', async () => {
    script(cluster, 'sleep.sh', 'sleep 30');
    submit('executable = sleep.sh\n+B2Tag = "alpha"\n+Rank = 1\nqueue\n');
    submit('executable = sleep.sh\n+B2Tag = "beta"\n+Rank = 2\nqueue\n');
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs.every((j) => j.state === 'running'));
    const ids = (c: string) => run(cluster, 'condor_q', ['-constraint', c, '-af', 'ClusterId']).stdout.split('\n').filter(Boolean);
    expect(ids('B2Tag == "ALPHA"')).toEqual(['1']); // == ignores case
    expect(ids('B2Tag =?= "ALPHA"')).toEqual([]); // =?= does not
    expect(ids('Rank == 2')).toEqual(['2']);
    expect(ids('B2Tag != "alpha" && Rank == 2')).toEqual(['2']);
    expect(ids('(Rank == 1 || Rank == 2) && JobStatus == 2')).toEqual(['1', '2']);
    expect(ids('Missing == 1')).toEqual([]);
    expect(ids('Missing =?= undefined')).toEqual(['1', '2']);
    expect(run(cluster, 'condor_q', ['-constraint', 'B2Tag == ', '-json'])).toEqual({ stdout: '', stderr: '\n-- Parse error in constraint expression "B2Tag == "\n', status: 1 });
  });

  it('moves finished jobs to condor_history, newest first, with their exit codes', async () => {
    cluster.setFaults({ condorQueueLingerMs: 300 });
    script(cluster, 'exit.sh', 'exit $1');
    submit('executable = exit.sh\narguments = 3\nqueue\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    submit('executable = exit.sh\narguments = 0\nqueue\n');
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs[1]?.state === 'completed');
    // Still in condor_q for the linger period, then only in history.
    await until(() => run(cluster, 'condor_q', ['-json']).stdout === '', 15_000, 'queue to drain');
    const hist = jsonQ('condor_history', ['-attributes', 'ClusterId,JobStatus,ExitCode,ExitBySignal']);
    expect(hist).toEqual([
      { ClusterId: 2, ExitBySignal: false, ExitCode: 0, JobStatus: 4 },
      { ClusterId: 1, ExitBySignal: false, ExitCode: 3, JobStatus: 4 },
    ]);
    expect(jsonQ('condor_history', ['-limit', '1', '-attributes', 'ClusterId'])).toEqual([{ ClusterId: 2 }]);
    expect(jsonQ('condor_history', ['-match', '1', '1', '-attributes', 'ExitCode'])).toEqual([{ ExitCode: 3 }]);
  });

  it('reports death by signal with ExitBySignal and an abnormal-termination event', async () => {
    script(cluster, 'die.sh', 'kill -9 $$');
    submit('executable = die.sh\nlog = die.log\nqueue\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    const [ad] = jsonQ('condor_q', ['-attributes', 'ExitBySignal,ExitSignal,ExitCode']);
    expect(ad).toEqual({ ExitBySignal: true, ExitSignal: 9 });
    expect(read(cluster, 'die.log')).toContain('Job terminated.\n\t(0) Abnormal termination (signal 9)\n\t(0) No core file\n\t\tUsr 0');
  });
});

describe('condor_rm', () => {
  it('kills a running job, marks it removed and writes the 009 event', async () => {
    script(cluster, 'sleep.sh', 'sleep 60');
    submit('executable = sleep.sh\nlog = rm.log\nqueue\n');
    const job = await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'running' && j.pid));
    expect(run(cluster, 'condor_rm', ['1.0'])).toEqual({ stdout: 'Job 1.0 marked for removal\n', stderr: '', status: 0 });
    await until(() => !groupAlive(job.pid!), 15_000, 'job process group to die');
    const [ad] = jsonQ('condor_q', ['-attributes', 'JobStatus,RemoveReason']);
    expect(ad).toEqual({ JobStatus: 3, RemoveReason: expect.stringMatching(/^via condor_rm \(by user .+\)$/) });
    expect(read(cluster, 'rm.log')).toMatch(/009 \(001\.000\.000\) [\d: -]+ Job was aborted\.\n\tvia condor_rm \(by user .+\)\n\.\.\.\n$/);
    expect(run(cluster, 'condor_rm', ['1.0'])).toEqual({ stdout: '', stderr: 'Job 1.0 already marked for removal\n', status: 1 });
  });

  it('prints the documented messages for clusters, constraints, -all and unknown jobs', async () => {
    script(cluster, 'sleep.sh', 'sleep 60');
    submit('executable = sleep.sh\n+B2Tag = "x"\nqueue 2\n');
    submit('executable = sleep.sh\nqueue\n');
    submit('executable = sleep.sh\nqueue\n');
    expect(run(cluster, 'condor_rm', ['1'])).toEqual({ stdout: 'All jobs in cluster 1 have been marked for removal\n', stderr: '', status: 0 });
    expect(run(cluster, 'condor_rm', ['1'])).toEqual({ stdout: '', stderr: "Couldn't find/remove all jobs in cluster 1\n", status: 1 });
    expect(run(cluster, 'condor_rm', ['-constraint', 'ClusterId == 2'])).toEqual({ stdout: 'All jobs matching constraint (ClusterId == 2) have been marked for removal\n', stderr: '', status: 0 });
    expect(run(cluster, 'condor_rm', ['-all'])).toEqual({ stdout: 'All jobs have been marked for removal\n', stderr: '', status: 0 });
    expect(run(cluster, 'condor_rm', ['77.0'])).toEqual({ stdout: '', stderr: 'Job 77.0 not found\n', status: 1 });
    await cluster.waitFor((jobs) => jobs.every((j) => j.state === 'removed'));
  });

  it('says "There are no jobs in the queue" for an empty queue only when switched to', () => {
    expect(run(cluster, 'condor_rm', ['5']).status).toBe(1);
    cluster.setFaults({ condorRmEmptyQueue: 'message' });
    expect(run(cluster, 'condor_rm', ['5'])).toEqual({ stdout: 'There are no jobs in the queue\n', stderr: '', status: 0 });
  });
});

describe('walltime', () => {
  it('removes a job when its periodic_remove run-time limit passes', async () => {
    script(cluster, 'sleep.sh', 'sleep 60');
    submit('executable = sleep.sh\nlog = wt.log\nperiodic_remove = (JobStatus == 2) && (time() - EnteredCurrentStatus) > 1\nqueue\n');
    const job = await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'running' && j.pid));
    const removed = await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'removed'), { timeoutMs: 10_000 });
    expect(removed.reason).toBe("The job attribute PeriodicRemove expression '(JobStatus == 2) && (time() - EnteredCurrentStatus) > 1' evaluated to TRUE");
    await until(() => !groupAlive(job.pid!), 15_000, 'job to be killed');
    expect(read(cluster, 'wt.log')).toContain("Job was aborted.\n\tThe job attribute PeriodicRemove expression '(JobStatus == 2) && (time() - EnteredCurrentStatus) > 1' evaluated to TRUE\n...\n");
  });

  it('holds a job that exceeds allowed_job_duration (hold code 46)', async () => {
    script(cluster, 'sleep.sh', 'sleep 60');
    submit('executable = sleep.sh\nallowed_job_duration = 1\nqueue\n');
    await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'held'), { timeoutMs: 10_000 });
    const [ad] = jsonQ('condor_q', ['-attributes', 'JobStatus,HoldReason,HoldReasonCode,HoldReasonSubCode']);
    expect(ad).toEqual({ HoldReason: 'The job exceeded allowed job duration of 00:01', HoldReasonCode: 46, HoldReasonSubCode: 0, JobStatus: 5 });
  });
});
