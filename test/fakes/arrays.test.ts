// Arrays in the simulators: LSF job arrays (bsub -J "name[1-N]%K", LSB_JOBINDEX,
// per-element bjobs/bkill, bparams -a) and HTCondor clusters with itemdata
// and late materialization (queue ... from, max_materialize, max_idle).
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { file, read, run, script, sleep, until } from './support.js';

jest.setTimeout(180_000);

let cluster: FakeCluster;
beforeEach(() => {
  cluster = createFakeCluster({ faults: { condorQueueLingerMs: 60_000, lsfJobReport: false, killIntervalMs: 100 } });
});
afterEach(() => cluster.cleanup());

// Each run appends "<index> <start ms> <end ms>" to runs.log, so a test can
// count runs per index and the largest number of runs that overlapped.
const RECORDER = 's=$(date +%s%3N); sleep 0.4; e=$(date +%s%3N); echo "$1 $s $e" >> runs.log';

interface Run {
  index: string;
  start: number;
  end: number;
}
const runs = (): Run[] =>
  read(cluster, 'runs.log')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([index, start, end]) => ({ index: index ?? '', start: Number(start), end: Number(end) }));
const maxOverlap = (rs: Run[]): number => Math.max(...rs.map((r) => rs.filter((o) => o.start <= r.start && r.start < o.end).length));
const indices = (rs: Run[]): string[] => rs.map((r) => r.index).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));

describe('LSF job arrays', () => {
  const bsub = (...args: string[]) => run(cluster, 'bsub', args);
  const allDone = (n: number) => cluster.waitFor((jobs) => jobs.length === n && jobs.every((j) => ['DONE', 'EXIT'].includes(j.native)), { timeoutMs: 60_000 });

  it('runs each element exactly once with its index in LSB_JOBINDEX and %I, at most %K at a time', async () => {
    script(cluster, 'rec.sh', RECORDER);
    script(cluster, 'element.sh', 'echo "$LSB_JOBID $LSB_JOBINDEX $LSB_JOBNAME"; ./rec.sh "$LSB_JOBINDEX"');
    const r = bsub('-J', 'arr[1-6]%2', '-o', 'out.%J.%I', './element.sh');
    expect(r).toEqual({ stdout: 'Job <1> is submitted to default queue <normal>.\n', stderr: '', status: 0 });
    await allDone(6);
    expect(indices(runs())).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(maxOverlap(runs())).toBeLessThanOrEqual(2);
    expect(read(cluster, 'out.1.4')).toBe('1 4 arr[4]\n');
    expect(cluster.jobs().map((j) => j.id)).toEqual(['1[1]', '1[2]', '1[3]', '1[4]', '1[5]', '1[6]']);
  });

  it('accepts index lists with steps and runs elements without a limit all at once', async () => {
    script(cluster, 'rec.sh', RECORDER);
    bsub('-J', 'steps[1-7:3,10]', './rec.sh', '$LSB_JOBINDEX');
    await allDone(4);
    expect(indices(runs())).toEqual(['1', '4', '7', '10']);
  });

  it('lists elements in bjobs as the documented table, -o columns and -json, by array or by element', async () => {
    script(cluster, 'wait.sh', 'while [ ! -e go ]; do sleep 0.05; done');
    bsub('-J', 'arr[1-3]', './wait.sh');
    await until(() => cluster.jobs().filter((j) => j.native === 'RUN').length === 3, 30_000, 'three running');
    const table = run(cluster, 'bjobs', ['-w', '1']).stdout.split('\n');
    expect(table[0]).toBe('JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME');
    expect(table.slice(1, 4).map((l) => l.split(/\s+/).filter((_, i) => [0, 2, 6].includes(i)))).toEqual([
      ['1', 'RUN', 'arr[1]'],
      ['1', 'RUN', 'arr[2]'],
      ['1', 'RUN', 'arr[3]'],
    ]);
    const json = JSON.parse(run(cluster, 'bjobs', ['-a', '-json', '-o', 'jobid jobindex stat job_name', '1[2]', '1[3]']).stdout);
    expect(json).toEqual({
      COMMAND: 'bjobs',
      JOBS: 2,
      RECORDS: [
        { JOBID: '1', JOBINDEX: '2', STAT: 'RUN', JOB_NAME: 'arr[2]' },
        { JOBID: '1', JOBINDEX: '3', STAT: 'RUN', JOB_NAME: 'arr[3]' },
      ],
    });
    // LSB_BJOBS_DISPLAY_ENH=Y puts the index into the JOBID column.
    cluster.setFaults({ lsfDisplayEnh: true, lsfJobReport: false });
    expect(run(cluster, 'bjobs', ['-noheader', '-o', 'jobid', '1[1-2]']).stdout).toBe('1[1]\n1[2]\n');
    const missing = run(cluster, 'bjobs', ['1[9]']);
    expect(missing.stderr).toBe('Job <1[9]> is not found\n');
    file(cluster, 'go', '');
  });

  it('kills one element with bkill "N[i]" and the rest with bkill N, answering as the manual shows', async () => {
    script(cluster, 'wait.sh', 'while [ ! -e go ]; do sleep 0.05; done');
    bsub('-J', 'arr[1-3]', './wait.sh');
    await until(() => cluster.jobs().filter((j) => j.native === 'RUN').length === 3, 30_000, 'three running');
    expect(run(cluster, 'bkill', ['1[2]'])).toEqual({ stdout: 'Job <1[2]> is being terminated\n', stderr: '', status: 0 });
    await cluster.waitFor((jobs) => jobs.find((j) => j.id === '1[2]' && j.native === 'EXIT'));
    expect(cluster.jobs().filter((j) => j.native === 'RUN').map((j) => j.id)).toEqual(['1[1]', '1[3]']);
    expect(run(cluster, 'bkill', ['1'])).toEqual({ stdout: 'Job <1> is being terminated\n', stderr: '', status: 0 });
    await allDone(3);
    expect(cluster.jobs().map((j) => j.reason)).toEqual(['TERM_OWNER', 'TERM_OWNER', 'TERM_OWNER']);
    expect(run(cluster, 'bkill', ['1'])).toEqual({ stdout: '', stderr: 'Job <1>: Job has already finished\n', status: 255 });
    expect(run(cluster, 'bkill', ['1[7]'])).toEqual({ stdout: '', stderr: 'Job <1[7]>: No matching job found\n', status: 255 });
  });

  it('shows MAX_JOB_ARRAY_SIZE in bparams -a and refuses a larger index', () => {
    expect(run(cluster, 'bparams', ['-a']).stdout).toContain('\n    MAX_JOB_ARRAY_SIZE = 1000\n');
    cluster.setFaults({ lsfMaxJobArraySize: 5 });
    const params = run(cluster, 'bparams', ['-a']);
    expect(params.status).toBe(0);
    expect(params.stdout).toMatch(/^lsb\.params configuration at .+\n/);
    expect(params.stdout).toContain('\n    MAX_JOB_ARRAY_SIZE = 5\n');
    expect(bsub('-J', 'big[1-6]', '/bin/true')).toEqual({ stdout: '', stderr: 'Job array index too large. Job not submitted.\n', status: 255 });
    expect(bsub('-J', 'ok[1-5]', '/bin/true').status).toBe(0);
  });
});

describe('HTCondor clusters', () => {
  const submit = (text: string, args: string[] = []) => run(cluster, 'condor_submit', [...args, file(cluster, `job${Math.random()}.sub`, text)]);
  const procs = (cmd: string, args: string[] = []) =>
    run(cluster, cmd, ['-af:j', 'JobStatus', ...args])
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  const allCompleted = (n: number) => cluster.waitFor((jobs) => jobs.length === n && jobs.every((j) => j.state === 'completed'), { timeoutMs: 60_000 });

  it('runs one proc per itemdata row with named variables, $(ProcId) and $(Process)', async () => {
    script(cluster, 'rec.sh', 'echo "$@" >> args.log');
    const r = submit('executable = rec.sh\narguments = $(name) $(num) $(ProcId) $(Process)\nqueue name,num from (\n  alpha 1\n  beta 2\n  gamma 3\n)\n', ['-terse']);
    expect(r).toEqual({ stdout: '1.0 - 1.2\n', stderr: '', status: 0 });
    await allCompleted(3);
    expect(read(cluster, 'args.log').trim().split('\n').sort()).toEqual(['alpha 1 0 0', 'beta 2 1 1', 'gamma 3 2 2']);
    expect(procs('condor_q').map(([id]) => id)).toEqual(['1.0', '1.1', '1.2']);
  });

  it('fills $(Item) from an itemdata file, one proc per line', async () => {
    script(cluster, 'rec.sh', 'echo "$1 $2" >> args.log');
    file(cluster, 'items.txt', 'x\ny\nz\n');
    expect(submit('executable = rec.sh\narguments = $(Item) $(ProcId)\nqueue from items.txt\n').stdout).toBe('Submitting job(s)...\n3 job(s) submitted to cluster 1.\n');
    await allCompleted(3);
    expect(read(cluster, 'args.log').trim().split('\n').sort()).toEqual(['x 0', 'y 1', 'z 2']);
  });

  it('keeps at most max_materialize procs of a cluster in the queue; the others are invisible until they enter', async () => {
    script(cluster, 'rec.sh', RECORDER);
    cluster.setFaults({ condorQueueLingerMs: 0 });
    expect(submit('executable = rec.sh\narguments = $(ProcId)\nmax_materialize = 2\nlog = c.log\nqueue 6\n', ['-terse']).stdout).toBe('1.0 - 1.5\n');
    let largest = 0;
    while (!cluster.jobs().every((j) => j.state === 'completed')) {
      const seen = procs('condor_q').filter(([, status]) => status !== '4');
      largest = Math.max(largest, seen.length);
      await sleep(50);
    }
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(2);
    expect(indices(runs())).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(maxOverlap(runs())).toBeLessThanOrEqual(2);
    // Each proc's 000 event is written when it enters the queue, once.
    expect(read(cluster, 'c.log').match(/^000 /gm)).toHaveLength(6);
    await until(() => procs('condor_history').length === 6, 15_000, 'history');
    expect(run(cluster, 'condor_history', ['-af', 'JobMaterializeLimit', '-limit', '1']).stdout).toBe('2\n');
  });

  it('keeps at most max_idle procs idle while the farm is busy', async () => {
    script(cluster, 'rec.sh', RECORDER);
    cluster.setFaults({ condorQueueLingerMs: 0, maxRunning: 1 });
    submit('executable = rec.sh\narguments = $(ProcId)\nmax_idle = 1\nqueue 4\n');
    let idleMost = 0;
    while (!cluster.jobs().every((j) => j.state === 'completed')) {
      idleMost = Math.max(idleMost, procs('condor_q').filter(([, status]) => status === '1').length);
      await sleep(50);
    }
    expect(idleMost).toBeLessThanOrEqual(1);
    expect(indices(runs())).toEqual(['0', '1', '2', '3']);
  });

  it('condor_rm of one proc leaves the others; condor_rm of the cluster also drops procs not materialized yet', async () => {
    script(cluster, 'wait.sh', 'echo "$1" >> started.log; while [ ! -e go ]; do sleep 0.05; done');
    submit('executable = wait.sh\narguments = $(ProcId)\nmax_materialize = 2\nqueue 5\n');
    await until(() => cluster.jobs().filter((j) => j.state === 'running').length === 2, 30_000, 'two running');
    expect(run(cluster, 'condor_rm', ['1.0'])).toEqual({ stdout: 'Job 1.0 marked for removal\n', stderr: '', status: 0 });
    await until(() => cluster.jobs().filter((j) => j.state === 'running').length === 2 && cluster.jobs()[0]?.state === 'removed', 30_000, 'proc 2 in');
    expect(run(cluster, 'condor_rm', ['1'])).toEqual({ stdout: 'All jobs in cluster 1 have been marked for removal\n', stderr: '', status: 0 });
    await cluster.waitFor((jobs) => jobs.every((j) => j.state === 'removed'));
    await sleep(800); // a proc that wrongly materialized now would have started by then
    expect(read(cluster, 'started.log').trim().split('\n').sort()).toEqual(['0', '1', '2']);
    expect(cluster.jobs().filter((j) => j.materialized).map((j) => j.id)).toEqual(['1.0', '1.1', '1.2']);
    expect(fs.existsSync(path.join(cluster.dir, 'go'))).toBe(false);
  });
});
