// Fault injection and the switches that shape scheduling: each one on, then off again.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { file, groupAlive, read, run, script, sleep, until } from './support.js';

// Real processes on a shared machine: allow for heavy load.
jest.setTimeout(180_000);

let cluster: FakeCluster;
beforeEach(() => {
  cluster = createFakeCluster();
});
afterEach(() => cluster.cleanup());

const condorJob = (body: string, extra = '') => {
  script(cluster, 'job.sh', body);
  return file(cluster, 'job.sub', `executable = job.sh\nlog = job.log\n${extra}queue\n`);
};

describe('submit errors', () => {
  it('fails the next K condor_submit calls with the documented message, then recovers', () => {
    const sub = condorJob('exit 0');
    cluster.setFaults({ submitError: { count: 2 } });
    const expected = {
      stdout: '',
      stderr: '\nERROR: Failed to connect to local queue manager\nAUTHENTICATE:1003:Failed to authenticate with any method\n',
      status: 1,
    };
    expect(run(cluster, 'condor_submit', [sub])).toEqual(expected);
    expect(run(cluster, 'condor_submit', [sub])).toEqual(expected);
    expect(run(cluster, 'condor_submit', [sub]).stdout).toBe('Submitting job(s).\n1 job(s) submitted to cluster 1.\n');
  });

  it('limits a fault to some commands and takes a custom message and exit code', () => {
    const sub = condorJob('exit 0');
    cluster.setFaults({ submitError: { count: 1, commands: ['bsub'], message: 'Request from non-LSF host rejected', exitCode: 255 } });
    expect(run(cluster, 'condor_submit', [sub]).status).toBe(0);
    expect(run(cluster, 'bsub', ['/bin/true'])).toEqual({ stdout: '', stderr: 'Request from non-LSF host rejected\n', status: 255 });
    expect(run(cluster, 'bsub', ['/bin/true']).status).toBe(0);
  });

  it('can skip the first eligible calls', () => {
    cluster.setFaults({ submitError: { skip: 1, count: 1, commands: ['bsub'] } });
    expect(run(cluster, 'bsub', ['/bin/true']).status).toBe(0);
    expect(run(cluster, 'bsub', ['/bin/true']).status).toBe(255);
    expect(run(cluster, 'bsub', ['/bin/true']).status).toBe(0);
  });
});

describe('query failures and hangs', () => {
  it('makes condor_q/condor_history fail like an unreachable schedd', () => {
    cluster.setFaults({ queryError: { commands: ['condor_q', 'condor_history'] } });
    const q = run(cluster, 'condor_q', ['-json']);
    expect(q.status).toBe(1);
    expect(q.stdout).toBe('');
    expect(q.stderr).toMatch(/^\n-- Failed to fetch ads from: <127\.0\.0\.1:9618\?[^>]+> : \S+\nSECMAN:2007:Failed to end classad message\.\n$/);
    expect(run(cluster, 'condor_history', ['-json']).status).toBe(1);
    expect(run(cluster, 'bjobs').status).toBe(0);
    cluster.setFaults({ queryError: { kind: 'locate', count: 1 } });
    const locate = run(cluster, 'condor_q');
    expect(locate.status).toBe(1);
    expect(locate.stderr).toMatch(/^Error: Could not find the local condor_schedd\n\nExtra Info: You probably saw this error because the condor_schedd is not running\n/);
    expect(run(cluster, 'condor_q', ['-json']).status).toBe(0);
  });

  it('makes bjobs fail with "LSF is down" and rc 255', () => {
    cluster.setFaults({ queryError: { count: 1, commands: ['bjobs'] } });
    expect(run(cluster, 'bjobs')).toEqual({ stdout: '', stderr: 'LSF is down. Please wait ...\n', status: 255 });
    expect(run(cluster, 'bjobs').status).toBe(0);
  });

  it('delays answers with queryHang', () => {
    // A long hang, so that a plain call on a loaded machine (seen taking 7 s
    // to start Node in CI, next to real Slurm and Grid Engine suites) is
    // still clearly shorter than the hung one.
    const seconds = 20;
    cluster.setFaults({ queryHang: { seconds, count: 1, commands: ['condor_q'] } });
    let t = Date.now();
    expect(run(cluster, 'condor_q', ['-json']).status).toBe(0);
    const hung = Date.now() - t;
    expect(hung).toBeGreaterThanOrEqual(seconds * 1000);
    t = Date.now();
    run(cluster, 'condor_q', ['-json']);
    expect(Date.now() - t).toBeLessThan(hung - 10_000);
  });

  it('reads faults from B2_FAKE_FAULTS as well as faults.json', () => {
    const env = { B2_FAKE_FAULTS: JSON.stringify({ queryError: { commands: ['condor_q'] } }) };
    expect(run(cluster, 'condor_q', ['-json'], { env }).status).toBe(1);
    expect(run(cluster, 'condor_q', ['-json']).status).toBe(0);
  });
});

describe('held jobs', () => {
  it('holds an HTCondor job instead of running it', async () => {
    const sub = condorJob('echo ran > ran.txt');
    cluster.setFaults({ hold: { count: 1 } });
    run(cluster, 'condor_submit', [sub]);
    run(cluster, 'condor_submit', [sub]);
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs[0]?.state === 'held' && jobs[1]?.state === 'completed');
    const [ad] = JSON.parse(run(cluster, 'condor_q', ['1.0', '-json', '-attributes', 'JobStatus,HoldReason,HoldReasonCode']).stdout);
    expect(ad).toEqual({ HoldReason: expect.stringMatching(/^via condor_hold \(by user .+\)$/), HoldReasonCode: 1, JobStatus: 5 });
    expect(read(cluster, 'job.log')).toMatch(/012 \(001\.000\.000\) [\d: -]+ Job was held\.\n\tvia condor_hold \(by user .+\)\n\tCode 1 Subcode 0\n\.\.\.\n/);
  });

  it('holds a running HTCondor job and kills its processes', async () => {
    const sub = condorJob('sleep 60');
    cluster.setFaults({ hold: { afterMs: 1000, reason: 'Error from slot1@node: Job has gone over memory limit', code: 34, subCode: 0 } });
    run(cluster, 'condor_submit', [sub]);
    const job = await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'running' && j.pid));
    await cluster.waitFor((jobs) => jobs[0]?.state === 'held');
    await until(() => !groupAlive(job.pid!), 15_000, 'held job to be killed');
    expect(read(cluster, 'job.log')).toContain('Job was held.\n\tError from slot1@node: Job has gone over memory limit\n\tCode 34 Subcode 0\n...\n');
    expect(run(cluster, 'condor_rm', ['1.0']).stdout).toBe('Job 1.0 marked for removal\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'removed');
  });

  it('suspends LSF jobs: PSUSP instead of running, USUSP while running', async () => {
    cluster.setFaults({ hold: { count: 1 } });
    run(cluster, 'bsub', ['sleep', '60']);
    cluster.setFaults({ hold: { afterMs: 200 } });
    run(cluster, 'bsub', ['sleep', '60']);
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs[0]?.native === 'PSUSP' && jobs[1]?.native === 'USUSP');
    expect(run(cluster, 'bjobs', ['-noheader', '-o', "jobid stat pend_reason delimiter='|'"]).stdout).toBe('1|PSUSP|The job was suspended by the user while pending\n2|USUSP|-\n');
    expect(run(cluster, 'bkill', ['1', '2']).stdout).toBe('Job <1> is being terminated\nJob <2> is being terminated\n');
    await cluster.waitFor((jobs) => jobs.every((j) => j.native === 'EXIT' && j.state === 'removed'));
  });
});

describe('vanishing jobs', () => {
  it('removes an HTCondor job from queue and history without a trace and kills it', async () => {
    const sub = condorJob('sleep 60');
    cluster.setFaults({ vanish: { count: 1, afterMs: 1000 } });
    run(cluster, 'condor_submit', [sub]);
    const job = await cluster.waitFor((jobs) => jobs.find((j) => j.state === 'running' && j.pid));
    await cluster.waitFor((jobs) => jobs.length === 0 || undefined);
    expect(run(cluster, 'condor_q', ['-json']).stdout).toBe('');
    expect(run(cluster, 'condor_history', ['-json']).stdout).toBe('[\n]\n');
    await until(() => !groupAlive(job.pid!), 15_000, 'vanished job to be killed');
  });

  it('makes an LSF job unknown to bjobs', async () => {
    cluster.setFaults({ vanish: { afterMs: 200 } });
    run(cluster, 'bsub', ['sleep', '60']);
    await cluster.waitFor((jobs) => jobs.length === 0 || undefined);
    expect(run(cluster, 'bjobs', ['-a', '1'])).toEqual({ stdout: '', stderr: 'Job <1> is not found\n', status: 0 });
  });
});

describe('scheduling switches', () => {
  it('keeps jobs idle/PEND for startDelayMs', async () => {
    cluster.setFaults({ startDelayMs: 6000 });
    run(cluster, 'condor_submit', [condorJob('exit 0')]);
    run(cluster, 'bsub', ['/bin/true']);
    expect(run(cluster, 'condor_q', ['-af', 'JobStatus']).stdout).toBe('1\n');
    expect(run(cluster, 'bjobs', ['-noheader', '-o', 'stat pend_reason']).stdout).toBe('PEND New job is waiting for scheduling\n');
    await cluster.waitFor((jobs) => jobs.length === 2 && jobs[0]?.state === 'completed' && jobs[1]?.native === 'DONE');
    for (const job of cluster.jobs()) {
      const queued = JSON.parse(read(cluster, path.relative(cluster.dir, path.join(job.dir, 'job.json'))));
      const started = Number(read(cluster, path.relative(cluster.dir, path.join(job.dir, 'started'))));
      expect(started - (queued.qdateMs ?? queued.subMs)).toBeGreaterThanOrEqual(6000);
    }
  });

  it('never runs more than maxRunning jobs at once', async () => {
    cluster.setFaults({ maxRunning: 2 });
    // Jobs hold their slot until the test creates "go".
    const sub = condorJob('while [ ! -e go ]; do sleep 0.05; done');
    for (let i = 0; i < 3; i++) run(cluster, 'condor_submit', [sub]);
    for (let i = 0; i < 3; i++) run(cluster, 'bsub', ['-cwd', cluster.dir, 'while [ ! -e go ]; do sleep 0.05; done']);
    const count = (jobs: ReturnType<FakeCluster['jobs']>, state: string) => jobs.filter((j) => j.state === state).length;
    await cluster.waitFor((jobs) => jobs.length === 6 && count(jobs, 'running') === 2);
    await sleep(700);
    expect(count(cluster.jobs(), 'running')).toBe(2);
    expect(count(cluster.jobs(), 'idle')).toBe(4);
    file(cluster, 'go', '');
    await cluster.waitFor((jobs) => jobs.length === 6 && jobs.every((j) => j.state === 'completed'), { timeoutMs: 30_000 });
    // Each job holds its slot from its `started` marker until its `exit` marker.
    const marker = (dir: string, name: string) => Number(read(cluster, path.relative(cluster.dir, path.join(dir, name))).split(' ')[name === 'exit' ? 1 : 0]);
    const spans = cluster.jobs().map((j) => [marker(j.dir, 'started'), marker(j.dir, 'exit')]);
    const overlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a! <= s! && s! < b!).length));
    expect(overlap).toBe(2);
  });

  it('jobs queued for a slot sleep until one is free (150 waiting cost next to no CPU), and a removed one leaves the queue at once', async () => {
    cluster.setFaults({ maxRunning: 1, condorQueueLingerMs: 0 });
    script(cluster, 'job.sh', 'while [ ! -e go ]; do sleep 0.05; done');
    run(cluster, 'condor_submit', [file(cluster, 'job.sub', 'executable = job.sh\nlog = job.log\nqueue 150\n')]);
    const runnerPid = (id: string): number | undefined => {
      const job = cluster.jobs().find((j) => j.id === id);
      try {
        return job === undefined ? undefined : Number(read(cluster, path.relative(cluster.dir, path.join(job.dir, 'runner.pid')))) || undefined;
      } catch {
        return undefined;
      }
    };
    const pids = await until(() => {
      const all = cluster.jobs().map((j) => runnerPid(j.id));
      return all.length === 150 && all.every((pid) => pid !== undefined) ? (all as number[]) : undefined;
    }, 60_000, 'all 150 runners started');
    await until(() => cluster.jobs().filter((j) => j.state === 'running').length === 1, 30_000, 'one running');
    // /proc/PID/stat after the command name: state, then (from index 11) utime and stime in clock ticks.
    const stat = (pid: number): string[] | undefined => {
      try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return text.slice(text.lastIndexOf(')') + 2).split(' ');
      } catch {
        return undefined;
      }
    };
    const ticks = (): number => pids.reduce((sum, pid) => sum + Number(stat(pid)?.[11] ?? 0) + Number(stat(pid)?.[12] ?? 0), 0);
    await sleep(1000); // past the queueing itself
    const before = ticks();
    await sleep(3000);
    const spent = (ticks() - before) / 100; // seconds, at the usual 100 ticks a second
    expect(spent).toBeLessThan(0.15);

    const queued = cluster.jobs().find((j) => j.state === 'idle')!;
    const pid = runnerPid(queued.id)!;
    expect(run(cluster, 'condor_rm', [queued.id]).status).toBe(0);
    await until(() => (stat(pid)?.[0] ?? 'Z') === 'Z', 10_000, "the removed job's runner gone");
    file(cluster, 'go', '');
  });
});

describe('behaviour switches', () => {
  it('switches the HTCondor details the sources leave open', async () => {
    cluster.setFaults({ condorUserLogFormat: 'legacy', condorBareJobBatchName: 'set', condorWatchHint: true, condorQueueLingerMs: 0, condorHistoryDelayMs: 5000 });
    const r = run(cluster, 'condor_submit', [condorJob('exit 0', 'JobBatchName = bare\n')]);
    expect(r.stderr).toBe('To monitor your job(s), run: condor_watch_q -clusters 1\n');
    await cluster.waitFor((jobs) => jobs[0]?.state === 'completed');
    expect(read(cluster, 'job.log')).toMatch(/^000 \(001\.000\.000\) \d\d\/\d\d \d\d:\d\d:\d\d Job submitted/);
    // Gone from the queue at once, but in history only after the delay.
    expect(run(cluster, 'condor_q', ['-json']).stdout).toBe('');
    expect(run(cluster, 'condor_history', ['-json']).stdout).toBe('[\n]\n');
    const history = await until(() => {
      const text = run(cluster, 'condor_history', ['-af', 'JobBatchName']).stdout;
      return text !== '' && text;
    }, 15_000, 'history');
    expect(history).toBe('bare\n');
  });

  it('switches the LSF details the sources leave open', () => {
    cluster.setFaults({ lsfQueueWording: 'always-queue', lsfSubmitBanner: 'LSF is processing your request. Please wait ...', lsfNoJobStream: 'stdout' });
    expect(run(cluster, 'bsub', ['-H', 'sleep', '60']).stdout).toBe('LSF is processing your request. Please wait ...\nJob <1> is submitted to queue <normal>.\n');
    expect(run(cluster, 'bjobs', ['-p', '-noheader', '-o', 'stat']).stdout).toBe('PSUSP\n');
    expect(run(cluster, 'bkill', ['-d', '1']).stdout).toBe('Job <1> is being terminated\n');
    expect(run(cluster, 'bjobs')).toEqual({ stdout: 'No unfinished job found\n', stderr: '', status: 0 });
    expect(run(cluster, 'bjobs', ['-a', '-noheader', '-o', 'stat']).stdout).toBe('DONE\n');
  });
});

describe('call log and setup', () => {
  it('records every invocation with its argv', () => {
    run(cluster, 'condor_q', ['-json']);
    run(cluster, 'bjobs', ['-a', '-w']);
    run(cluster, 'condor_q', ['-af', 'JobStatus']);
    expect(cluster.calls().map(({ cmd, argv }) => ({ cmd, argv }))).toEqual([
      { cmd: 'condor_q', argv: ['-json'] },
      { cmd: 'bjobs', argv: ['-a', '-w'] },
      { cmd: 'condor_q', argv: ['-af', 'JobStatus'] },
    ]);
    expect(cluster.calls().every((c) => typeof c.time === 'number')).toBe(true);
  });

  it('lists job processes and kills them all, with anything they left behind, on cleanup', async () => {
    const other = createFakeCluster();
    try {
      script(other, 'bg.sh', 'sleep 60 & echo started');
      file(other, 'bg.sub', 'executable = bg.sh\nqueue\n');
      run(other, 'condor_submit', ['bg.sub']);
      run(other, 'bsub', ['sleep', '60']);
      await other.waitFor((jobs) => jobs.length === 2 && jobs[0]?.state === 'completed' && jobs[1]?.state === 'running');
      // bash -c execs sleep a moment after the job starts.
      const left = await until(() => {
        const procs = other.runningProcesses();
        return procs.length === 2 && procs.every((p) => p.command === 'sleep 60') && procs;
      }, 15_000, 'both sleeps');
      expect(left.map((p) => p.command)).toEqual(['sleep 60', 'sleep 60']);
      other.cleanup();
      for (const p of left) expect(groupAlive(p.pgid)).toBe(false);
      expect(other.runningProcesses()).toEqual([]);
    } finally {
      other.cleanup();
    }
  });

  it('refuses to run without B2_FAKE_CLUSTER_DIR', () => {
    const env = { ...cluster.env };
    delete env.B2_FAKE_CLUSTER_DIR;
    const r = spawnSync(path.join(cluster.binDir, 'condor_q'), [], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("condor_q: B2_FAKE_CLUSTER_DIR is not set; it must name the simulator's state folder\n");
  });
});
