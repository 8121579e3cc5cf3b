// The LSF simulator: bsub options, bjobs formats and exit codes, bkill, run limits.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { groupAlive, read, run, script, until } from './support.js';

// Real processes on a shared machine: allow for heavy load.
jest.setTimeout(180_000);

let cluster: FakeCluster;
beforeEach(() => {
  cluster = createFakeCluster();
});
afterEach(() => cluster.cleanup());

const bsub = (...args: string[]) => run(cluster, 'bsub', args);
const bjobs = (...args: string[]) => run(cluster, 'bjobs', args);
const done = (id: string) => cluster.waitFor((jobs) => jobs.find((j) => j.id === id && ['DONE', 'EXIT'].includes(j.native)));
const running = (id: string) => cluster.waitFor((jobs) => jobs.find((j) => j.id === id && j.native === 'RUN' && j.pid));

describe('bsub', () => {
  it('prints the documented submission lines and runs the command in the submission folder', async () => {
    const job = script(cluster, 'job.sh', 'echo "out $1 $LSB_JOBID $PWD"; echo "err" >&2');
    expect(bsub('-J', 'first', '-o', 'o.%J', '-e', 'e.%J', job, 'arg')).toEqual({ stdout: 'Job <1> is submitted to default queue <normal>.\n', stderr: '', status: 0 });
    await done('1');
    expect(read(cluster, 'o.1').startsWith(`out arg 1 ${cluster.dir}\n`)).toBe(true);
    expect(read(cluster, 'e.1')).toBe('err\n');
    // The job report LSF appends to the -o file.
    expect(read(cluster, 'o.1')).toContain('\nSuccessfully completed.\n\nResource usage summary:\n');
    cluster.setFaults({ lsfQueues: ['normal', 'short'] });
    expect(bsub('-q', 'short', job).stdout).toBe('Job <2> is submitted to queue <short>.\n');
  });

  it('replaces %J with the job id and %I with 0 in -oo, -eo and -i paths, as LSF does', async () => {
    script(cluster, 'job.sh', 'cat; echo err >&2');
    fs.writeFileSync(path.join(cluster.dir, 'in.1_0'), 'input\n');
    cluster.setFaults({ lsfJobReport: false });
    bsub('-oo', 'o.%J_%I', '-eo', 'e.%J_%I', '-i', 'in.%J_%I', './job.sh');
    await done('1');
    expect(read(cluster, 'o.1_0')).toBe('input\n');
    expect(read(cluster, 'e.1_0')).toBe('err\n');
  });

  it('appends with -o, overwrites with -oo, and puts stderr in the -o file without -e', async () => {
    script(cluster, 'job.sh', 'echo out; echo err >&2');
    fs.writeFileSync(path.join(cluster.dir, 'append.log'), 'old\n');
    fs.writeFileSync(path.join(cluster.dir, 'over.log'), 'old\n');
    cluster.setFaults({ lsfJobReport: false });
    bsub('-o', 'append.log', './job.sh');
    bsub('-oo', 'over.log', './job.sh');
    await done('1');
    await done('2');
    expect(read(cluster, 'append.log')).toBe('old\nout\nerr\n');
    expect(read(cluster, 'over.log')).toBe('out\nerr\n');
  });

  it('reads a script from stdin with #BSUB directives, command-line options winning', async () => {
    const text = '#!/bin/bash\n#BSUB -J from_script\n#BSUB -o script.out\n#BSUB -q normal\necho "$LSB_JOBNAME in $LSB_QUEUE"\nexit 4\n';
    const r = run(cluster, 'bsub', ['-J', 'from_cli'], { input: text });
    expect(r.stdout).toBe('Job <1> is submitted to queue <normal>.\n');
    await done('1');
    expect(read(cluster, 'script.out')).toMatch(/^from_cli in normal\n/);
    expect(read(cluster, 'script.out')).toContain('\nExited with exit code 4.\n\nResource usage summary:\n');
    expect(bjobs('-a', '-o', 'job_name stat exit_code', '-noheader').stdout).toBe('from_cli EXIT 4\n');
  });

  it('honours -cwd and -env none', async () => {
    fs.mkdirSync(path.join(cluster.dir, 'wd'));
    const job = script(cluster, 'env.sh', 'echo "$PWD|${SECRET:-unset}|$LSB_JOBID"');
    bsub('-cwd', 'wd', '-env', 'none', '-o', 'out.txt', job);
    await done('1');
    expect(read(cluster, 'wd/out.txt').split('\n')[0]).toBe(`${path.join(cluster.dir, 'wd')}|unset|1`);
    const r = run(cluster, 'bsub', ['-env', 'all, ~SECRET, EXTRA=yes', '-o', 'all.txt', script(cluster, 'e2.sh', 'echo "${SECRET:-unset}|$EXTRA|${KEEP:-}"')], { env: { SECRET: 's', KEEP: 'k' } });
    expect(r.status).toBe(0);
    await done('2');
    expect(read(cluster, 'all.txt').split('\n')[0]).toBe('unset|yes|k');
  });

  it('rejects bad queues, slot counts and resource strings with rc 255', () => {
    expect(bsub('-q', 'nosuch', '/bin/true')).toEqual({ stdout: '', stderr: 'No such queue. Job not submitted\n', status: 255 });
    expect(bsub('-n', '1000', '/bin/true')).toEqual({ stdout: '', stderr: 'Too many processors requested. Job not submitted.\n', status: 255 });
    expect(bsub('-R', 'rusage[mem]', '/bin/true')).toEqual({ stdout: '', stderr: 'Error in rusage section. Job not submitted.\n', status: 255 });
    expect(bsub('-R', 'select[a] select[b]', '/bin/true')).toEqual({ stdout: '', stderr: 'Error near "select" : duplicate section. Job not submitted.\n', status: 255 });
    expect(bsub('-R', 'select[mem>1] rusage[mem=100:duration=5] span[hosts=1]', '/bin/true').status).toBe(0);
    expect(cluster.jobs().map((j) => j.id)).toEqual(['1']);
  });
});

describe('bjobs', () => {
  it('prints the documented default table; -w keeps long names, without it they are cut with "*"', async () => {
    bsub('-J', 'a_rather_long_job_name', 'sleep', '30');
    await running('1');
    const table = bjobs();
    expect(table.status).toBe(0);
    const [header, row] = table.stdout.split('\n');
    expect(header).toBe('JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME');
    expect(row).toMatch(/^1 {7}\S+ +RUN {3}normal {5}\S+ +\S+ +\*_job_name [A-Z][a-z]{2} [ \d]\d \d\d:\d\d$/);
    expect(row!.slice(57, 68)).toBe('*_job_name ');
    expect(bjobs('-w', '-noheader').stdout).toMatch(/^1 {7}.* a_rather_long_job_name [A-Z][a-z]{2} [ \d]\d \d\d:\d\d\n$/);
  });

  it('prints -o columns with a delimiter and "-" for empty values', async () => {
    bsub('-J', 'ok', '/bin/true');
    bsub('-J', 'bad', '/bin/false');
    await done('1');
    await done('2');
    expect(bjobs('-a', '-noheader', '-o', "jobid stat exec_host delimiter='^'").stdout).toMatch(/^1\^DONE\^\S+\n2\^EXIT\^\S+\n$/);
    expect(bjobs('-a', '-o', 'jobid stat exit_code exit_reason job_name').stdout).toBe('JOBID STAT EXIT_CODE EXIT_REASON JOB_NAME\n1 DONE - - ok\n2 EXIT 1 - bad\n');
  });

  it('prints -json exactly in the documented layout', async () => {
    bsub('-J', 'j/1', '-Jd', 'desc', '/bin/true');
    await done('1');
    const r = bjobs('-a', '-o', 'jobid stat exit_code job_name job_description queue', '-json');
    expect(r).toEqual({
      stdout:
        '{\n  "COMMAND":"bjobs",\n  "JOBS":1,\n  "RECORDS":[\n    {\n      "JOBID":"1",\n      "STAT":"DONE",\n      "EXIT_CODE":"",\n' +
        '      "JOB_NAME":"j\\/1",\n      "JOB_DESCRIPTION":"desc",\n      "QUEUE":"normal"\n    }\n  ]\n}\n',
      stderr: '',
      status: 0,
    });
    expect(bjobs('-json').status).toBe(255);
  });

  it('follows the LSB_BJOBS_CONSISTENT_EXIT_CODE=N table, and Y when set', async () => {
    bsub('sleep', '30');
    await running('1');
    expect(bjobs('123')).toEqual({ stdout: '', stderr: 'Job <123> is not found\n', status: 0 });
    const mixed = bjobs('1', '123');
    expect(mixed.status).toBe(255);
    expect(mixed.stderr).toBe('Job <123> is not found\n');
    expect(mixed.stdout.split('\n')[1]).toMatch(/^1 +\S+ +RUN/);
    expect(bjobs('-u', 'nobody-else')).toEqual({ stdout: '', stderr: 'No unfinished job found\n', status: 0 });
    expect(run(cluster, 'bjobs', ['123'], { env: { LSB_BJOBS_CONSISTENT_EXIT_CODE: 'Y' } }).status).toBe(255);
    expect(run(cluster, 'bjobs', ['1'], { env: { LSB_BJOBS_CONSISTENT_EXIT_CODE: 'Y' } }).status).toBe(0);
    cluster.setFaults({ lsfConsistentExitCode: true });
    expect(bjobs('123').status).toBe(255);
    expect(run(cluster, 'bjobs', ['123'], { env: { LSB_BJOBS_CONSISTENT_EXIT_CODE: 'N' } }).status).toBe(0);
  });

  it('hides finished jobs without -a (switchable), shows them with -a until CLEAN_PERIOD passes', async () => {
    bsub('/bin/true');
    await done('1');
    expect(bjobs('1')).toEqual({ stdout: '', stderr: 'No unfinished job found\n', status: 0 });
    expect(bjobs('-a', '-noheader', '-o', 'jobid stat', '1').stdout).toBe('1 DONE\n');
    expect(bjobs('-J', 'nomatch*')).toEqual({ stdout: '', stderr: 'Job <nomatch*> is not found\n', status: 0 });
    cluster.setFaults({ lsfFinishedWithoutA: 'show' });
    expect(bjobs('-noheader', '-o', 'jobid stat', '1').stdout).toBe('1 DONE\n');
    cluster.setFaults({ lsfCleanPeriodSec: 0 });
    expect(bjobs('-a', '1')).toEqual({ stdout: '', stderr: 'Job <1> is not found\n', status: 0 });
  });

  it('reports unknown ids in -json mode on stderr, or as ERROR records when switched', async () => {
    bsub('sleep', '30');
    await running('1');
    const plain = bjobs('-o', 'jobid stat', '-json', '1', '9');
    expect(plain.stderr).toBe('Job <9> is not found\n');
    expect(JSON.parse(plain.stdout)).toEqual({ COMMAND: 'bjobs', JOBS: 1, RECORDS: [{ JOBID: '1', STAT: 'RUN' }] });
    cluster.setFaults({ lsfJsonUnknownId: 'record' });
    const rec = bjobs('-o', 'jobid stat', '-json', '1', '9');
    expect(rec.stderr).toBe('');
    expect(JSON.parse(rec.stdout).RECORDS).toEqual([{ JOBID: '1', STAT: 'RUN' }, { JOBID: '9', ERROR: 'Job <9> is not found' }]);
  });

  it('filters by -J name with a trailing * wildcard', async () => {
    bsub('-J', 'task_a', 'sleep', '30');
    bsub('-J', 'task_b', 'sleep', '30');
    bsub('-J', 'other', 'sleep', '30');
    expect(bjobs('-J', 'task_*', '-noheader', '-o', 'job_name').stdout).toBe('task_a\ntask_b\n');
    expect(bjobs('-J', 'other', '-noheader', '-o', 'jobid').stdout).toBe('3\n');
  });
});

describe('bkill', () => {
  it('terminates a running job (process group killed, EXIT with TERM_OWNER) and reports the documented messages', async () => {
    bsub('-o', 'k.out', 'sleep', '60');
    const job = await running('1');
    expect(run(cluster, 'bkill', ['1'])).toEqual({ stdout: 'Job <1> is being terminated\n', stderr: '', status: 0 });
    await until(() => !groupAlive(job.pid!), 15_000, 'job to die');
    await done('1');
    expect(bjobs('-a', '-noheader', '-o', "stat exit_code exit_reason delimiter='|'").stdout).toBe('EXIT|130|TERM_OWNER: job killed by owner\n');
    expect(run(cluster, 'bkill', ['1'])).toEqual({ stdout: '', stderr: 'Job <1>: Job has already finished\n', status: 255 });
    expect(run(cluster, 'bkill', ['42'])).toEqual({ stdout: '', stderr: 'Job <42>: No matching job found\n', status: 255 });
    bsub('sleep', '60');
    const mixed = run(cluster, 'bkill', ['2', '42']);
    expect(mixed).toEqual({ stdout: 'Job <2> is being terminated\n', stderr: 'Job <42>: No matching job found\n', status: 255 });
    expect(read(cluster, 'k.out')).toContain('TERM_OWNER: job killed by owner.\nExited with exit code 130.\n');
  });

  it('terminates a pending job at once', async () => {
    cluster.setFaults({ startDelayMs: 60_000 });
    bsub('sleep', '60');
    expect(bjobs('-noheader', '-o', 'jobid stat pend_reason').stdout).toBe('1 PEND New job is waiting for scheduling\n');
    expect(run(cluster, 'bkill', ['1']).stdout).toBe('Job <1> is being terminated\n');
    expect(bjobs('-a', '-noheader', '-o', 'jobid stat').stdout).toBe('1 EXIT\n');
  });

  it('signals with -s', async () => {
    script(cluster, 'trap.sh', 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done');
    bsub('-o', 't.out', './trap.sh');
    await running('1');
    await until(() => fs.existsSync(path.join(cluster.dir, 't.out')) && read(cluster, 't.out') === 'ready\n', 15_000, 'trap to be set');
    expect(run(cluster, 'bkill', ['-s', 'USR1', '1'])).toEqual({ stdout: 'Job <1> is being signaled\n', stderr: '', status: 0 });
    const j = await done('1');
    expect(j.exitCode).toBe(7);
    expect(read(cluster, 't.out')).toMatch(/^ready\n(.*\n)?got-usr1\n/);
  });
});

describe('run limit (-W)', () => {
  it('kills a job over its run limit: EXIT, exit code 140, TERM_RUNLIMIT', async () => {
    cluster.setFaults({ lsfSecondsPerRunLimitMinute: 1 });
    bsub('-W', '1', '-o', 'w.out', 'sleep', '60');
    const job = await running('1');
    const j = await cluster.waitFor((jobs) => jobs.find((x) => x.native === 'EXIT'), { timeoutMs: 10_000 });
    expect(j.reason).toBe('TERM_RUNLIMIT');
    expect(groupAlive(job.pid!)).toBe(false);
    expect(bjobs('-a', '-noheader', '-o', "exit_code exit_reason delimiter='|'").stdout).toBe('140|TERM_RUNLIMIT: job killed after reaching LSF run time limit\n');
    expect(read(cluster, 'w.out')).toContain('TERM_RUNLIMIT: job killed after reaching LSF run time limit.\nExited with exit code 140.\n');
  });
});

describe('memory limit (-M)', () => {
  const eater = () => script(cluster, 'eat.sh', `exec "${process.execPath}" -e "const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => console.log('kept', b.length), 3000)"`);

  it('kills a job whose resident memory goes over -M: EXIT, TERM_MEMLIMIT', async () => {
    bsub('-M', '100MB', '-o', 'm.out', eater());
    const job = await running('1');
    const j = await cluster.waitFor((jobs) => jobs.find((x) => x.native === 'EXIT'), { timeoutMs: 20_000 });
    expect(j.reason).toBe('TERM_MEMLIMIT');
    expect(groupAlive(job.pid!)).toBe(false);
    expect(bjobs('-a', '-noheader', '-o', "exit_reason delimiter='|'").stdout).toBe('TERM_MEMLIMIT: job killed after reaching LSF memory usage limit\n');
    expect(read(cluster, 'm.out')).not.toContain('kept');
  });

  it('leaves a job under its limit alone; a bare number is in KB', async () => {
    bsub('-M', String(500 * 1024), '-o', 'm.out', eater());
    expect((await done('1')).native).toBe('DONE');
    expect(read(cluster, 'm.out')).toContain('kept 209715200');
  });
});
