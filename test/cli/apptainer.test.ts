/**
 * Tasks in an Apptainer container, end to end: local runs, the HTCondor
 * simulator and the real Slurm, all under the project's apptainer stand-in
 * (test/shims/apptainer), which checks its argv the way apptainer does and
 * records each call.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { B2_BIN, makeProject, ROOT, runB2 } from '../helpers/b2.js';
import { describeIfSge, describeIfSlurm } from '../helpers/clusters.js';
import { FAST, useFakeClusters } from '../helpers/simulators.js';

const SHIMS = path.join(ROOT, 'test', 'shims');
const SHIM = path.join(SHIMS, 'apptainer');

// Boxed runs in the container (its setting from the task), Plain in the pool; each writes what it saw.
const PIPELINE = `
import { writeFileSync, readFileSync } from 'node:fs';
import { Task, WrapperTask, param } from 'b2-pipelines';

export class Boxed extends Task.with({ n: param.int() }) {
  apptainerImage = 'images/analysis.sif';
  *output() { yield this.addToOutput('seen.json'); }
  run() {
    writeFileSync(this.getOutputFileName('seen.json'), JSON.stringify({ fromScript: process.env.FROM_SCRIPT ?? null, entry: process.env.ENTRY ?? null }));
  }
}

export class Plain extends Task.with({ n: param.int() }) {
  *output() { yield this.addToOutput('plain.txt'); }
  run() { writeFileSync(this.getOutputFileName('plain.txt'), 'plain'); }
}

export class All extends WrapperTask {
  *requires() { for (let n = 0; n < 2; n++) { yield new Boxed({ n }); yield new Plain({ n }); } }
}
export default new All();
`;

const HOSTILE_ENTRY = `it's "$(touch CANARY)" \`x\` ; \\ end`;

interface Call {
  image: string;
  binds: { src: string; dst: string }[];
  command: string[];
  options: [string, string][];
}

const project = (settings: Record<string, unknown>): { dir: string; results: string; log: string } => {
  const results = mkdtempSync(path.join(os.tmpdir(), 'b2-container-results-'));
  const dir = makeProject({
    'pipeline.ts': PIPELINE,
    'images/analysis.sif': 'SIF',
    'setup.sh': 'export FROM_SCRIPT=sourced\n',
    'settings.json': JSON.stringify({ result_dir: results, env_script: 'setup.sh', env: { ENTRY: HOSTILE_ENTRY }, apptainer_additional_params: ['--cleanenv'], ...settings }),
  });
  return { dir, results, log: path.join(dir, 'apptainer-calls.jsonl') };
};

const callsIn = (log: string): Call[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Call) : []);

const expectRanInContainer = (p: { dir: string; results: string; log: string }): void => {
  const calls = callsIn(p.log);
  expect(calls).toHaveLength(2);
  for (const call of calls) {
    expect(call.image).toBe(path.join(p.dir, 'images', 'analysis.sif'));
    expect(call.options).toContainEqual(['cleanenv', 'true']);
    // result_dir is outside the working directory: bound by default; the log folder is inside it.
    expect(call.binds).toContainEqual({ src: p.results, dst: p.results });
    expect(call.binds.map((bind) => bind.src)).not.toContain(path.join(p.dir, 'logs'));
    expect(call.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(call.command).toContain('worker');
    expect(call.command.find((arg) => arg.startsWith('Boxed_'))).toBeDefined();
  }
  for (const n of [0, 1]) {
    expect(JSON.parse(readFileSync(path.join(p.results, `n=${n}`, 'seen.json'), 'utf8'))).toEqual({ fromScript: 'sourced', entry: HOSTILE_ENTRY });
    expect(readFileSync(path.join(p.results, `n=${n}`, 'plain.txt'), 'utf8')).toBe('plain');
  }
  expect(existsSync(path.join(p.dir, 'CANARY'))).toBe(false);
};

/** apptainer_cmd for batch jobs, whose environment is not the runner's: the stand-in, told where to log. */
const loggingShim = (p: { dir: string; log: string }): string => {
  const file = path.join(p.dir, 'apptainer-logging');
  writeFileSync(file, `#!/bin/sh\nB2_APPTAINER_SHIM_LOG='${p.log}' exec '${SHIM}' "$@"\n`, { mode: 0o755 });
  return file;
};

const withShims = (log: string, env: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  ...env,
  PATH: `${SHIMS}${path.delimiter}${env.PATH ?? process.env.PATH}`,
  B2_APPTAINER_SHIM_LOG: log,
});

describe('apptainer_image on local runs', () => {
  test('tasks with an image run through apptainer exec (found on PATH) with env_script and env inside; the others in the pool', () => {
    const p = project({});
    const result = runB2(['run', 'pipeline.ts'], { cwd: p.dir, env: withShims(p.log) });
    expect(result.output).toContain('5 task(s) ran');
    expect(result.code).toBe(0);
    expectRanInContainer(p);
    // The job's log shows the command line it ran.
    const stdout = readFileSync(path.join(p.dir, 'logs', 'n=0', 'Boxed', 'stdout'), 'utf8');
    expect(stdout).toContain(`b2: running apptainer exec --cleanenv --bind ${p.results} ${path.join(p.dir, 'images', 'analysis.sif')} /bin/bash -c`);
  });

  test('a failing task in the container fails with its exit code and its log; nothing counts as complete', () => {
    const p = project({ env_script: '', env: {} });
    writeFileSync(path.join(p.dir, 'pipeline.ts'), PIPELINE.replace("run() {\n    writeFileSync(this.getOutputFileName('seen.json')", "run() {\n    if (this.n === 1) throw new Error('bad sample');\n    writeFileSync(this.getOutputFileName('seen.json')"));
    const result = runB2(['run', 'pipeline.ts'], { cwd: p.dir, env: withShims(p.log) });
    expect(result.code).toBe(1);
    expect(result.output).toContain('bad sample');
    expect(existsSync(path.join(p.results, 'n=1', 'seen.json'))).toBe(false);
    expect(existsSync(path.join(p.results, 'n=0', 'seen.json'))).toBe(true);
    // Without env_script and env the command runs directly in the container.
    expect(callsIn(p.log)[0]!.command[0]).toBe(process.execPath);
  });

  test('a missing image is bad input before anything runs, naming the setting and where it came from', () => {
    const bad = project({});
    writeFileSync(path.join(bad.dir, 'pipeline.ts'), PIPELINE.replace("apptainerImage = 'images/analysis.sif';", ''));
    const refused = runB2(['run', 'pipeline.ts', '--setting', 'apptainer_image=missing.sif'], { cwd: bad.dir, env: withShims(bad.log) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`apptainer_image "missing.sif" (from flag --setting apptainer_image=missing.sif) is ${path.join(bad.dir, 'missing.sif')}, which does not exist.`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(callsIn(bad.log)).toEqual([]);
    expect(existsSync(path.join(bad.results, 'n=0'))).toBe(false);
  });

  test('a docker:// image is taken as it is; without apptainer or singularity on PATH, apptainer_cmd is asked for', () => {
    const p = project({});
    writeFileSync(path.join(p.dir, 'pipeline.ts'), PIPELINE.replace("'images/analysis.sif'", "'docker://python:3.12'"));
    const result = runB2(['run', 'pipeline.ts'], { cwd: p.dir, env: withShims(p.log) });
    expect(result.code).toBe(0);
    expect(callsIn(p.log).map((call) => call.image)).toEqual(['docker://python:3.12', 'docker://python:3.12']);

    const none = project({});
    const missing = runB2(['run', 'pipeline.ts'], { cwd: none.dir, env: { PATH: '/usr/bin:/bin' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('neither apptainer nor singularity is on PATH');
    expect(missing.stderr).toContain('apptainer_cmd');
  });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const until = async (what: string, condition: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('Ctrl-C during a local run with containers', () => {
  test('stops the tasks in their containers, leaves no output, and exits 130', async () => {
    const p = project({});
    const pids = path.join(p.dir, 'pids');
    writeFileSync(
      path.join(p.dir, 'pipeline.ts'),
      PIPELINE.replace("run() {\n    writeFileSync(this.getOutputFileName('seen.json')", `run() {\n    require('node:fs').appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');\n    const end = Date.now() + 60000; while (Date.now() < end);\n    writeFileSync(this.getOutputFileName('seen.json')`),
    );
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--workers', '4'], { cwd: p.dir, env: { ...process.env, ...withShims(p.log), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const started = (): number[] => (existsSync(pids) ? readFileSync(pids, 'utf8').trim().split('\n').map(Number) : []);
    await until('both tasks in their containers', () => started().length === 2, 30_000);
    child.kill('SIGINT');
    expect({ code: await exit, output }).toMatchObject({ code: 130 });
    await until('the task processes to end', () => started().every((pid) => !alive(pid)), 10_000);
    expect(existsSync(path.join(p.results, 'n=0', 'seen.json'))).toBe(false);
  }, 60_000);
});

describe('apptainer_image with --batch for tasks set to run locally', () => {
  test('they keep their container; a missing image is bad input there too', () => {
    const p = project({});
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'local'], { cwd: p.dir, env: withShims(p.log) });
    expect(result.output).toContain('5 task(s) ran');
    expect(result.code).toBe(0);
    expectRanInContainer(p);

    const bad = project({});
    writeFileSync(path.join(bad.dir, 'pipeline.ts'), PIPELINE.replace("'images/analysis.sif'", "'images/missing.sif'"));
    const refused = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'local'], { cwd: bad.dir, env: withShims(bad.log) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cannot run locally: apptainer_image "images/missing.sif"');
  });
});

describe('apptainer_image on the HTCondor simulator', () => {
  const cluster = useFakeClusters();

  test('each job runs its task through apptainer_cmd, with env_script and env inside', () => {
    const p = project({});
    const shim = loggingShim(p);
    const fake = cluster();
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--setting', `apptainer_cmd=${shim}`, ...FAST], { cwd: p.dir, env: fake.env, timeoutMs: 180_000 });
    expect(result.output).toContain('5 task(s) ran');
    expect(result.code).toBe(0);
    expectRanInContainer(p);
    const wrapper = readFileSync(path.join(p.dir, 'task_files', 'n=0', 'Boxed', 'executable_wrapper.sh'), 'utf8');
    expect(wrapper).toContain(`exec -- ${shim} exec --cleanenv --bind ${p.results} ${path.join(p.dir, 'images', 'analysis.sif')} /bin/bash -c `);
  }, 200_000);

  test('a missing image is bad input before anything is submitted', () => {
    const p = project({ apptainer_cmd: SHIM });
    writeFileSync(path.join(p.dir, 'pipeline.ts'), PIPELINE.replace("'images/analysis.sif'", "'images/missing.sif'"));
    const fake = cluster();
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', ...FAST], { cwd: p.dir, env: fake.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot be submitted to htcondor: apptainer_image "images/missing.sif" (from task Boxed (attribute apptainerImage))');
    expect(result.stderr).toContain('which does not exist');
  });
});

describeIfSlurm('apptainer_image on a real Slurm', () => {
  test('sbatch runs each job through the stand-in, with env_script and env inside', () => {
    const p = project({});
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'slurm', '--setting', `apptainer_cmd=${loggingShim(p)}`, '--setting', 'poll_interval=0.5'], {
      cwd: p.dir,
      timeoutMs: 240_000,
    });
    expect(result.output).toContain('5 task(s) ran');
    expect(result.code).toBe(0);
    expectRanInContainer(p);
  }, 260_000);
});

describeIfSge('apptainer_image on a real Grid Engine', () => {
  test('qsub runs each job through the stand-in, with env_script and env inside', () => {
    const p = project({});
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'sge', '--setting', `apptainer_cmd=${loggingShim(p)}`, '--setting', 'poll_interval=0.5'], {
      cwd: p.dir,
      timeoutMs: 240_000,
    });
    expect(result.output).toContain('5 task(s) ran');
    expect(result.code).toBe(0);
    expectRanInContainer(p);
  }, 260_000);
});
