/**
 * Arrays in the adapters: the argv of one array, element ids both ways, and
 * the queue and history read element by element, from output captured on
 * this machine's Slurm 22.05 and Grid Engine 8.1.9, and LSF and HTCondor
 * as their manuals document.
 */
import { describe, expect, it } from '@jest/globals';
import { createSlurmAdapter, parseScontrolOutput, parseSqueueOutput, sbatchArrayOptions } from '../../src/systems/slurm.js';
import { createSgeAdapter, parseQacctOutput, parseQstatXml, qsubArrayOptions, sgeTaskNumbers } from '../../src/systems/sge.js';
import { createLsfAdapter, parseBjobsOutput } from '../../src/systems/lsf.js';
import { createHtcondorAdapter } from '../../src/systems/htcondor.js';
import { elementsYetToEnter } from '../../src/batch/watch.js';
import type { ArrayRequest, ArraySubmission, JobSpec } from '../../src/systems/contract.js';
import { bin, capture, context, jobSpec, states, statuses, thrownBy } from './helpers.js';

const bulk = { array: true, tasksPerJob: 1, tasksInParallel: 1, slotLimit: 4 };
const task = (n: number, overrides: Partial<JobSpec> = {}): JobSpec =>
  jobSpec({
    taskId: `Leaf_${n}`,
    wrapperPath: `/data/tasks/n=${n}/Leaf/executable_wrapper.sh`,
    stdoutPath: `/data/logs/n=${n}/Leaf/stdout`,
    stderrPath: `/data/logs/n=${n}/Leaf/stderr`,
    bulk,
    ...overrides,
  });

const request = (elements: JobSpec[][], options: JobSpec = elements[0]![0]!): ArrayRequest => ({
  elements,
  options,
  arrayKey: 'abcdefabcdef',
  dir: '/run/submit',
  name: 'array-abcdefabcdef',
});

const slurm = createSlurmAdapter().array as ArraySubmission;
const sge = createSgeAdapter().array as ArraySubmission;

describe('Slurm arrays', () => {
  it('submits N elements with one sbatch, K at once, the array key next to the run tag, logs left to the script', () => {
    const { command, files } = slurm.submission(request([[task(1)], [task(2)], [task(3)], [task(4)], [task(5)]]), bin);
    expect(command.argv).toEqual([
      'sbatch',
      '--parsable',
      '--array=1-5%4',
      '--output=/dev/null',
      '--error=/dev/null',
      '--job-name=Average',
      '--comment=b2-run-1.abcdefabcdef',
      '/run/submit/array-abcdefabcdef.sh',
    ]);
    expect(command.cwd).toBe('/run/submit');
    expect(files).toHaveLength(1);
    expect(files[0]!.path).toBe('/run/submit/array-abcdefabcdef.sh');
    expect(files[0]!.content).toContain('_b2_index="${SLURM_ARRAY_TASK_ID:-}"');
    expect(files[0]!.content).toContain('5)\n  set -- /data/tasks/n=5/Leaf/executable_wrapper.sh /data/logs/n=5/Leaf/stdout /data/logs/n=5/Leaf/stderr\n');
  });

  it('leaves out the throttle when every element may run at once', () => {
    expect(sbatchArrayOptions(task(1, { bulk: { ...bulk, slotLimit: 10 } }), 'abcdefabcdef', 3, 10)).toContain('--array=1-3');
  });

  it('refuses an array option in slurm_settings while tasks go out as arrays', () => {
    const job = task(1, { systemSettings: { array: '1-3' } });
    expect(thrownBy(() => slurm.submission(request([[job]]), bin)).message).toMatch(/must not set "array" while tasks go out as arrays/);
  });

  it('groups tasks whose options are equal whatever their logs and keys, and parts those with other resources', () => {
    expect(slurm.groupKey(task(1))).toBe(slurm.groupKey(task(2, { taskKey: 'ffffffffffff' })));
    expect(slurm.groupKey(task(1))).not.toBe(slurm.groupKey(task(2, { resources: { memoryMb: 2000 } })));
  });

  it('names elements 12_5 and reads them back', () => {
    expect(slurm.elementId('12', 5)).toBe('12_5');
    expect(slurm.elementOf('12_5')).toEqual({ arrayId: '12', index: 5 });
    expect(slurm.elementOf('12')).toBeUndefined();
    const id = slurm.parseArrayId('7077\n', '');
    expect(id.ok && id.value).toBe('7077');
  });

  it('reads each element of an array in squeue -r, pending ones too, with the array key as the task key', () => {
    const out = capture('slurm', 'squeue-array');
    const parsed = statuses(parseSqueueOutput(out.stdout, out.stderr, out.exitCode, context([], 'b2-cap')));
    expect(Object.fromEntries([...parsed].map(([id, s]) => [id, s.state]))).toEqual({
      '7077_1': 'running',
      '7077_2': 'running',
      '7077_3': 'pending',
      '7077_4': 'pending',
      '7077_5': 'pending',
    });
    expect(parsed.get('7077_3')!.taskKey).toBe('aaaaaaaaaaaa');
  });

  it('names an element in scontrol by its array and index', () => {
    const out = capture('slurm', 'scontrol-array-element');
    expect(states(parseScontrolOutput(out.stdout, out.stderr, out.exitCode))).toEqual({ '7077_2': 'succeeded' });
  });

  it('asks scontrol, not the job completion log, about finished elements', () => {
    const adapter = createSlurmAdapter({ history: 'sacct-completion' });
    expect(adapter.historyCommands!(['5', '7_2'], context(['5', '7_2']), bin).map((c) => c.argv)).toEqual([
      ['sacct', '-c', '-n', '-P', '-j', '5', '-o', 'JobID,State,ExitCode'],
      ['scontrol', 'show', 'job', '-o', '7_2'],
    ]);
    const out = capture('slurm', 'scontrol-array-element');
    expect(states(adapter.parseHistoryOutput!(out.stdout, out.stderr, out.exitCode))).toEqual({ '7077_2': 'succeeded' });
  });
});

describe('Grid Engine arrays', () => {
  it('submits N tasks with one qsub -t 1-N -tc K, the name carrying the array key', () => {
    const { command, files } = sge.submission(request([[task(1)], [task(2)], [task(3)], [task(4)], [task(5)]]), bin);
    expect(command.argv.slice(0, 6)).toEqual(['qsub', '-terse', '-t', '1-5', '-tc', '4']);
    expect(command.argv).toContain('b2-b2-run-1-abcdefabcdef-Average');
    expect(command.argv.at(-1)).toBe('/run/submit/array-abcdefabcdef.sh');
    expect(files[0]!.content).toContain('_b2_index="${SGE_TASK_ID:-}"');
    // Grid Engine appends to a job's logs; so does the array script.
    expect(files[0]!.content).toContain('"$1" >>"$2" 2>>"$3"');
  });

  it('refuses -t and -tc in sge_settings while tasks go out as arrays', () => {
    expect(thrownBy(() => qsubArrayOptions(task(1, { systemSettings: { t: '1-3' } }), 'abcdefabcdef', 2, 2)).message).toMatch(/must not set "t"/);
    expect(thrownBy(() => qsubArrayOptions(task(1, { systemSettings: { tc: '3' } }), 'abcdefabcdef', 2, 2)).message).toMatch(/must not set "tc"/);
  });

  it('names elements 12.5 and reads the array id from qsub -terse', () => {
    expect(sge.elementId('12', 5)).toBe('12.5');
    expect(sge.elementOf('12.5')).toEqual({ arrayId: '12', index: 5 });
    expect(sge.elementOf('12')).toBeUndefined();
    const id = sge.parseArrayId('5554.1-6:1\n', '');
    expect(id.ok && id.value).toBe('5554');
  });

  it('reads task ranges, lists and steps', () => {
    expect(sgeTaskNumbers('5')).toEqual([5]);
    expect(sgeTaskNumbers('3-6:1')).toEqual([3, 4, 5, 6]);
    expect(sgeTaskNumbers('1,4-8:2')).toEqual([1, 4, 6, 8]);
  });

  it('reads each task of an array in qstat -xml: running ones one by one, the pending range expanded', () => {
    const out = capture('sge', 'qstat-xml-array');
    const parsed = statuses(parseQstatXml(out.stdout, out.stderr, out.exitCode, context([], 'x')));
    expect(Object.fromEntries([...parsed].map(([id, s]) => [id, s.state]))).toEqual({
      '5554.1': 'running',
      '5554.2': 'running',
      '5554.3': 'pending',
      '5554.4': 'pending',
      '5554.5': 'pending',
      '5554.6': 'pending',
    });
    expect(parsed.get('5554.4')!.taskKey).toBe('aaaaaaaaaaaa');
  });

  it('reads each task of an array in qacct by its task id', () => {
    const out = capture('sge', 'qacct-array');
    const ids = ['5554.1', '5554.2', '5554.3', '5554.4'];
    expect(states(parseQacctOutput(out.stdout, out.stderr, out.exitCode, context(ids, 'x')))).toEqual(Object.fromEntries(ids.map((id) => [id, 'succeeded'])));
  });

  it("asks qstat -j for an element's error by its array's id", () => {
    expect(createSgeAdapter().errorReasonCommand('12.5', bin).argv).toEqual(['qstat', '-j', '12']);
  });
});

describe('LSF arrays', () => {
  const lsf = createLsfAdapter().array as ArraySubmission;

  it('submits N elements with one bsub -J "name[1-N]%K", the array script as its command, the array key in -Jd', () => {
    const { command, files } = lsf.submission(request([[task(1)], [task(2)], [task(3)], [task(4)], [task(5)]]), bin);
    expect(command.argv).toEqual(['bsub', '-J', 'Average[1-5]%4', '-Jd', 'b2-run-1.abcdefabcdef', '-oo', '/dev/null', '-eo', '/dev/null', '-env', 'all', '/run/submit/array-abcdefabcdef.sh']);
    expect(files[0]!.content).toContain('_b2_index="${LSB_JOBINDEX:-}"');
  });

  it('keeps brackets of the job name from making an array of their own, and refuses J in lsf_settings', () => {
    expect(lsf.submission(request([[task(1, { jobName: 'a[1-9]' })]]), bin).command.argv[2]).toBe('a_1-9_[1-1]');
    expect(thrownBy(() => lsf.submission(request([[task(1, { systemSettings: { J: 'x[1-3]' } })]]), bin)).message).toMatch(/must not set "J"/);
  });

  it('names elements 12[5], and reads each element of bjobs -json by its JOBINDEX', () => {
    expect(lsf.elementId('12', 5)).toBe('12[5]');
    expect(lsf.elementOf('12[5]')).toEqual({ arrayId: '12', index: 5 });
    const id = lsf.parseArrayId('Job <12> is submitted to default queue <normal>.\n', '');
    expect(id.ok && id.value).toBe('12');
    const records = [
      { JOBID: '12', JOBINDEX: '1', STAT: 'RUN', EXIT_CODE: '', EXIT_REASON: '', JOB_DESCRIPTION: 'b2-run-1.abcdefabcdef' },
      { JOBID: '12', JOBINDEX: '2', STAT: 'PEND', EXIT_CODE: '', EXIT_REASON: '', JOB_DESCRIPTION: 'b2-run-1.abcdefabcdef' },
      { JOBID: '13', JOBINDEX: '0', STAT: 'DONE', EXIT_CODE: '', EXIT_REASON: '', JOB_DESCRIPTION: 'b2-run-1.0123456789ab' },
    ];
    const stdout = JSON.stringify({ COMMAND: 'bjobs', JOBS: 3, RECORDS: records });
    expect(states(parseBjobsOutput(stdout, '', 0, context([])))).toEqual({ '12[1]': 'running', '12[2]': 'pending', '13': 'succeeded' });
  });
});

describe('HTCondor arrays', () => {
  const condor = createHtcondorAdapter().array as ArraySubmission;

  it('submits one cluster of N procs running the array script with their ProcId, max_materialize K', () => {
    const { command, files } = condor.submission(request([[task(1)], [task(2)], [task(3)], [task(4)], [task(5)]]), bin);
    expect(command.argv).toEqual(['condor_submit', '-terse', 'array-abcdefabcdef.submit']);
    expect(command.cwd).toBe('/run/submit');
    const description = files.find((file) => file.path.endsWith('.submit'))!.content;
    expect(description).toContain('executable = /run/submit/array-abcdefabcdef.sh\n');
    expect(description).toContain('+B2TaskKey = "abcdefabcdef"\n');
    expect(description).toContain('arguments = $(ProcId)\nmax_materialize = 4\nqueue 5\n');
    expect(files.find((file) => file.path.endsWith('.sh'))!.content).toContain('_b2_index="$(( ${1:?} + 1 ))"');
  });

  it('names element i of cluster 12 by its proc, 12.(i-1); takes no task with transfer_files', () => {
    expect(condor.elementId('12', 5)).toBe('12.4');
    expect(condor.elementOf('12.4')).toEqual({ arrayId: '12', index: 5 });
    const id = condor.parseArrayId('12.0 - 12.4\n', '');
    expect(id.ok && id.value).toBe('12');
    expect(condor.accepts!(task(1, { transferFiles: ['/data/in.txt'] }))).toBe(false);
    expect(condor.accepts!(task(1))).toBe(true);
    expect(thrownBy(() => condor.submission(request([[task(1, { systemSettings: { arguments: 'x' } })]]), bin)).message).toMatch(/must not set "arguments"/);
  });

  it('takes an element not yet materialized for waiting while its cluster is listed', () => {
    const listed = new Map([['12.0', { jobId: '12.0', state: 'running' as const, native: '2' }]]);
    const entering = elementsYetToEnter(condor, listed);
    expect(entering('12.7')).toBe(true);
    expect(entering('13.0')).toBe(false);
    expect(elementsYetToEnter(undefined, listed)('12.7')).toBe(false);
  });
});
