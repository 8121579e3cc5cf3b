/**
 * The PBS Professional adapter against output in the formats the PBS
 * Professional Reference Guide documents (test/fixtures/outputs/pbs/, no
 * daemon here): qsub's job id, `qstat -x -f -F json` with every job state
 * and Exit_status, `qstat --version` for auto-detection.
 */
import { describe, expect, it } from '@jest/globals';
import {
  PBS_STATES,
  createPbsAdapter,
  isPbsVersion,
  parsePbsQstatJson,
  parsePbsQsubOutput,
  pbsQsubOptions,
  pbsTag,
  renderPbsScript,
} from '../../src/systems/pbs.js';
import { shellQuote } from '../../src/wrapper/quote.js';
import { batchSystemName, createAdapter, detectBatchSystem } from '../../src/systems/registry.js';
import { hostileValues } from '../helpers/hostile-values.js';
import { bin, capture, context, failureOf, jobSpec, states, statuses, thrownBy, wrappedBin } from './helpers.js';

const BASE = ['-C', '', '-N', 'Average', '-v', 'B2_RUN_TAG=b2-run-1.0123456789ab', '-o', '/dev/null', '-e', '/dev/null', '-S', '/bin/bash'];

describe('PBS submission', () => {
  const adapter = createPbsAdapter();

  it('passes every option to qsub as argv, and the script with no line qsub reads', () => {
    const job = jobSpec();
    const command = adapter.submitCommand(job, wrappedBin);
    expect(command).toEqual({ argv: ['/opt/site/bin/wrap', 'qsub', ...BASE, '/data/tasks/n=3/Average/pbs_job.sh'], cwd: '/data/tasks/n=3/Average' });
    const [script] = adapter.submitFiles(job);
    expect(script!.path).toBe('/data/tasks/n=3/Average/pbs_job.sh');
    expect(script!.mode).toBe(0o755);
    expect(script!.content).not.toMatch(/^#PBS/m);
    expect(script!.content).toContain("exec >>/data/logs/n=3/Average/stdout 2>>/data/logs/n=3/Average/stderr\n");
    expect(script!.content).toContain('exec /data/tasks/n=3/Average/job_wrapper.sh\n');
    expect(capture('pbs', 'qsub').command).toBe(`qsub ${BASE.map((a) => (a === '' ? "''" : a)).join(' ')} /data/tasks/n=3/Average/pbs_job.sh`);
  });

  it('maps resources: one chunk with ncpus and mem in mb, walltime, the queue', () => {
    const options = pbsQsubOptions(jobSpec({ resources: { cpus: 4, memoryMb: 2048, walltimeSeconds: 93784, queue: 'long' } }));
    expect(options).toEqual([...BASE, '-q', 'long', '-l', 'select=1:ncpus=4:mem=2048mb', '-l', 'walltime=26:03:04']);
    expect(pbsQsubOptions(jobSpec({ resources: { memoryMb: 500 } }))).toEqual([...BASE, '-l', 'select=1:ncpus=1:mem=500mb']);
  });

  it('lets pbs_settings replace a resource, add options and remove generated ones', () => {
    const job = jobSpec({
      resources: { cpus: 2, walltimeSeconds: 60 },
      systemSettings: { l: 'select=2:ncpus=8', A: 'physics', S: false, r: 'n' },
    });
    expect(pbsQsubOptions(job)).toEqual([...BASE.slice(0, -2), '-l', 'select=2:ncpus=8', '-l', 'walltime=0:01:00', '-A', 'physics', '-r', 'n']);
  });

  it('refuses settings that would take the run tag or the script away from b2', () => {
    for (const key of ['v', 'V', 'C']) {
      const error = thrownBy(() => pbsQsubOptions(jobSpec({ systemSettings: { [key]: 'x' } })));
      expect(error).toMatchObject({ reason: 'bad-batch-settings', message: `pbs_settings must not set "${key}"` });
    }
    expect(thrownBy(() => pbsQsubOptions(jobSpec({ systemSettings: { '-l': 'x' } }))).message).toContain('is not an option name');
  });

  it('keeps the job name and the tag to characters PBS takes as they are', () => {
    const options = pbsQsubOptions(jobSpec({ jobName: 'Average (n=3) "x"', runTag: 'run tag,with=commas' }));
    expect(options.slice(2, 6)).toEqual(['-N', 'Average__n_3___x_', '-v', 'B2_RUN_TAG=run_tag_with_commas.0123456789ab']);
    expect(pbsTag('run tag,with=commas', '0123456789ab')).toBe('run_tag_with_commas.0123456789ab');
  });

  it('quotes hostile paths for bash in the script and refuses line breaks', () => {
    const script = renderPbsScript(jobSpec({ stdoutPath: "/logs/it's $HOME/stdout" }));
    expect(script).toContain("exec >>'/logs/it'\\''s $HOME/stdout'");
    expect(thrownBy(() => renderPbsScript(jobSpec({ stderrPath: '/logs/a\nb' }))).reason).toBe('bad-batch-settings');
  });

  it('puts each hostile value into one argv element or its own quoted word of the script, never a line qsub or bash would misread', () => {
    for (const value of hostileValues(1000).filter((v) => !/[\n\r\0]/.test(v) && v.trim() !== '')) {
      const job = jobSpec({ jobName: value, runTag: value, stdoutPath: `/logs/${value}/stdout`, wrapperPath: `/tasks/${value}/job_wrapper.sh`, resources: { queue: value } });
      const argv = adapter.submitCommand(job, bin).argv;
      expect(argv.slice(0, 3)).toEqual(['qsub', '-C', '']);
      expect(argv[argv.indexOf('-q') + 1]).toBe(value);
      expect(argv[argv.indexOf('-N') + 1]).toMatch(/^[A-Za-z0-9_.+-]{1,236}$/);
      expect(argv[argv.indexOf('-v') + 1]).toMatch(/^B2_RUN_TAG=[A-Za-z0-9_.:@+-]+$/);
      const lines = renderPbsScript(job).split('\n');
      expect(lines.filter((line) => line !== '' && !line.startsWith('#'))).toEqual([
        `exec >>${shellQuote(`/logs/${value}/stdout`)} 2>>/data/logs/n=3/Average/stderr`,
        `exec ${shellQuote(`/tasks/${value}/job_wrapper.sh`)}`,
      ]);
      expect(lines.some((line) => line.startsWith('#PBS'))).toBe(false);
    }
  });

  it('reads the job id qsub prints, and reports a refusal with its message', () => {
    const ok = capture('pbs', 'qsub');
    expect(parsePbsQsubOutput(ok.stdout, ok.stderr)).toEqual({ ok: true, value: '40.pbs' });
    expect(parsePbsQsubOutput('1234[].server.example.org\n', '')).toEqual({ ok: true, value: '1234[].server.example.org' });
    const refused = capture('pbs', 'qsub-unknown-queue');
    expect(failureOf(parsePbsQsubOutput(refused.stdout, refused.stderr))).toMatchObject({
      reason: 'submit-failed',
      message: 'qsub did not submit the job: qsub: Unknown queue',
    });
  });
});

describe('PBS status', () => {
  const adapter = createPbsAdapter();

  it('asks qstat -x -f -F json for the run’s ids, in batches, and for every job when looking for the tag', () => {
    expect(adapter.statusCommands(context(['40.pbs', '41.pbs']), bin)).toEqual([{ argv: ['qstat', '-x', '-f', '-F', 'json', '40.pbs', '41.pbs'] }]);
    const ids = Array.from({ length: 750 }, (_, i) => `${i}.pbs`);
    expect(adapter.statusCommands(context(ids), bin).map((c) => c.argv.length - 5)).toEqual([500, 250]);
    expect(adapter.taggedJobsCommand(context([]), bin)).toEqual({ argv: ['qstat', '-x', '-f', '-F', 'json'] });
    expect(adapter.killCommands(['40.pbs', '41.pbs'], bin)).toEqual([{ argv: ['qdel', '40.pbs', '41.pbs'] }]);
  });

  it('reads every job of the run with its state, exit status and task key', () => {
    const out = capture('pbs', 'qstat-x-f-json');
    const parsed = parsePbsQstatJson(out.stdout, out.stderr, out.exitCode, context([]));
    expect(states(parsed)).toEqual({
      '40.pbs': 'succeeded',
      '41.pbs': 'pending',
      '42.pbs': 'running',
      '43.pbs': 'held',
      '44.pbs': 'failed',
      '45.pbs': 'timeout',
      '46.pbs': 'failed',
    });
    const byId = statuses(parsed);
    expect(byId.get('40.pbs')).toMatchObject({ native: 'F', exitCode: 0, taskKey: '0123456789ab' });
    expect(byId.get('43.pbs')).toMatchObject({ native: 'H', reason: 'job held by alice' });
    expect(byId.get('44.pbs')).toMatchObject({ exitCode: 3 });
    expect(byId.get('45.pbs')).toMatchObject({ exitCode: -29, reason: 'killed for exceeding its walltime limit' });
    expect(byId.get('46.pbs')).toMatchObject({ exitCode: 271, signal: 15 });
  });

  it('leaves out jobs of other runs and untagged jobs only when told the run', () => {
    const out = capture('pbs', 'qstat-x-f-json');
    const all = statuses(parsePbsQstatJson(out.stdout, out.stderr, out.exitCode));
    expect(all.get('47.pbs')).toMatchObject({ state: 'running', taskKey: '7777777777aa' });
    expect(all.get('48.pbs')).toMatchObject({ state: 'running', native: 'S' });
    expect(all.get('48.pbs')!.taskKey).toBeUndefined();
  });

  it('takes an id the server no longer knows as absent, not as a failed query', () => {
    const out = capture('pbs', 'qstat-unknown-id');
    expect(out.exitCode).toBe(153);
    expect(states(parsePbsQstatJson(out.stdout, out.stderr, out.exitCode, context(['41.pbs', '99.pbs'])))).toEqual({ '41.pbs': 'pending' });
  });

  it('reports a failed or unreadable query', () => {
    expect(failureOf(parsePbsQstatJson('', 'qstat: cannot connect to server pbs (errno=15010)\n', 2))).toMatchObject({
      reason: 'status-query-failed',
      message: 'qstat failed with exit status 2: qstat: cannot connect to server pbs (errno=15010)',
    });
    expect(failureOf(parsePbsQstatJson('Job Id: 40.pbs\n', '', 0)).message).toContain('cannot read the output of qstat -F json (invalid JSON)');
  });

  it.each(Object.entries(PBS_STATES))('maps job_state %s to %s', (code, state) => {
    const json = JSON.stringify({ Jobs: { '1.pbs': { job_state: code, Exit_status: 0, Variable_List: { B2_RUN_TAG: 'b2-run-1.0123456789ab' } } } });
    expect(statuses(parsePbsQstatJson(json, '', 0)).get('1.pbs')!.state).toBe(state);
  });
});

describe('PBS in the registry', () => {
  it('is known by its name and aliases', () => {
    for (const name of ['pbs', 'pbspro', 'OpenPBS']) expect(batchSystemName(name)).toBe('pbs');
    const adapter = createAdapter('pbspro');
    expect(adapter.ok && adapter.value.name).toBe('pbs');
  });

  it('is what auto picks for a qsub that answers qstat --version as PBS, after Grid Engine', () => {
    const version = capture('pbs', 'qstat-version');
    expect(isPbsVersion(version.stdout)).toBe(true);
    expect(isPbsVersion('SGE 8.1.9\n')).toBe(false);
    expect(isPbsVersion('Version: 6.1.2\n')).toBe(false);
    const qsubOnly = (binary: string) => binary === 'qsub';
    const answers = (outputs: Record<string, string>) => (probe: (b: typeof bin) => { argv: readonly string[] }) => outputs[probe(bin).argv.join(' ')] ?? '';
    expect(detectBatchSystem(qsubOnly, answers({ 'qstat --version': version.stdout, 'qstat -help': 'usage: qstat [-f] [-J] ...\n' }))).toBe('pbs');
    expect(detectBatchSystem(qsubOnly, answers({ 'qstat -help': 'SGE 8.1.9\n' }))).toBe('sge');
    expect(detectBatchSystem(qsubOnly, answers({ 'qstat --version': 'Version: 6.1.2\n' }))).toBe('local');
    expect(detectBatchSystem((binary) => binary === 'sbatch' || binary === 'qsub', answers({ 'qstat --version': version.stdout }))).toBe('slurm');
  });
});
