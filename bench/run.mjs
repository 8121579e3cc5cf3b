#!/usr/bin/env node
/**
 * Reproducible benchmarks: `npm run bench [-- NAME ...]`.
 * Each benchmark runs the real `b2` binary on bench/pipelines.ts in a fresh
 * folder under bench/out/, measures the whole process (wall time from here,
 * CPU and peak memory from GNU time when available) and prints the target
 * next to the figure. Names: local, curve, graph, worker, htcondor, history,
 * slurm (needs a running Slurm: see bench/batch-real.mjs), and slurm-array,
 * sge-array, htcondor-pack, array-kill (bench/arrays.mjs).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const B2 = path.join(ROOT, 'bin', 'b2.js');
const OUT = path.join(ROOT, 'bench', 'out');
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const results = [];

const freshDir = (name) => {
  const dir = path.join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'bench', 'pipelines.ts'), path.join(dir, 'pipelines.ts'));
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ result_dir: 'results', log_dir: 'logs' }));
  return dir;
};

/** Run a command; wall seconds measured here, CPU seconds and peak RSS (MB) from GNU time. */
const measure = (argv, options = {}) => {
  const timeFile = path.join(os.tmpdir(), `b2-bench-time-${process.pid}`);
  const command = GNU_TIME ? [GNU_TIME, '-f', '%U %S %M', '-o', timeFile, ...argv] : argv;
  const start = process.hrtime.bigint();
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, ...options });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  let cpu;
  let rssMb;
  if (GNU_TIME && existsSync(timeFile)) {
    const [user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = user + sys;
    rssMb = rssKb / 1024;
    rmSync(timeFile, { force: true });
  }
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`${argv.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return { wall, cpu, rssMb, stdout: result.stdout, stderr: result.stderr, status: result.status };
};

const record = (name, figure, value, unit, target, ok) => {
  results.push({ name, figure, value, unit, target, ok });
  const shown = typeof value === 'number' ? value.toFixed(value < 10 ? 3 : 1) : value;
  console.log(`${ok === undefined ? ' ' : ok ? '✓' : '✗'} ${name.padEnd(34)} ${figure.padEnd(16)} ${String(shown).padStart(10)} ${unit.padEnd(6)} ${target}`);
};

/** `runs` finished batch runs of `tasks` tasks each, journaled as b2 writes them, oldest a day ago. */
const writeHistory = (stateDir, pipeline, runs, tasks) => {
  const host = os.hostname();
  for (let r = 0; r < runs; r++) {
    let t = Date.now() - 86_400_000 + r * 60_000;
    const stamp = new Date(t).toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '').slice(0, 18);
    const runId = `${stamp}-${r.toString(16).padStart(6, '0')}`;
    const runDir = path.join(stateDir, runId);
    mkdirSync(path.join(runDir, 'tasks'), { recursive: true });
    const line = (entry) => `${JSON.stringify({ t: t++, ...entry })}\n`;
    const lines = [line({ type: 'run-started', runId, pid: 1_000_000 + r, host, pipeline, roots: [`Trivial_${r}`], mode: 'batch', tag: `b2_${r}`, total: tasks + 1, toRun: tasks + 1 })];
    for (let i = 0; i < tasks; i++) {
      const id = `Leaf_${i}_${r.toString(16).padStart(8, '0')}`;
      lines.push(
        line({ type: 'task', id, family: 'Leaf', params: { i }, logDir: path.join(stateDir, '..', 'logs', `i=${i}`, 'Leaf') }),
        line({ type: 'submit-intent', id, attempt: 1, system: 'slurm' }),
        line({ type: 'submitted', id, attempt: 1, system: 'slurm', jobId: String(100_000 + i) }),
        line({ type: 'succeeded', id, attempt: 1 }),
      );
    }
    lines.push(line({ type: 'run-finished', exitCode: 0, cpuMs: 1000 }));
    writeFileSync(path.join(runDir, 'journal.jsonl'), lines.join(''));
  }
};

const b2run = (dir, args, options) => measure([process.execPath, B2, 'run', 'pipelines.ts', ...args], { cwd: dir, ...options });

const benchmarks = {
  /** Fan-in and chain through the local worker pool, per-task process isolation kept. */
  local() {
    let dir = freshDir('fanin-1000');
    b2run(dir, ['Sum', '--n', '10']); // compile the bundle once; the cache is part of normal use
    rmSync(path.join(dir, 'results'), { recursive: true, force: true });
    let m = b2run(dir, ['Sum', '--n', '1000', '--workers', '2']);
    record('fan-in 1,000 + sum, --workers 2', 'wall', m.wall, 's', '≤ 2 s', m.wall <= 2);
    dir = freshDir('chain-10000');
    b2run(dir, ['Link', '--i', '1']);
    m = b2run(dir, ['Link', '--i', '9999', '--workers', '2']);
    record('chain 10,000', 'wall', m.wall, 's', '≤ 20 s', m.wall <= 20);
    dir = freshDir('fanin-10000');
    b2run(dir, ['Sum', '--n', '10']);
    m = b2run(dir, ['Sum', '--n', '10000', '--workers', '2']);
    record('fan-in 10,000 + sum, --workers 2', 'wall', m.wall, 's', '≤ 20 s', m.wall <= 20);
  },

  /** Cost per task from 1,000 to 100,000 tasks (fan-in, --workers 2). */
  curve() {
    for (const n of [1000, 3000, 10000, 30000, 100000]) {
      const dir = freshDir(`curve-${n}`);
      b2run(dir, ['Sum', '--n', '10']);
      const m = b2run(dir, ['Sum', '--n', String(n), '--workers', '2'], { timeout: 3600_000 });
      record(`fan-in ${n.toLocaleString('en')}`, 'ms per task', (m.wall * 1000) / (n + 1), 'ms', `wall ${m.wall.toFixed(1)} s, cpu ${m.cpu?.toFixed(1) ?? '?'} s`);
    }
  },

  /** Graph build + completeness check of 100,000 tasks whose outputs all exist. */
  graph() {
    const dir = freshDir('graph-100000');
    b2run(dir, ['Sum', '--n', '10']);
    const results100k = path.join(dir, 'results');
    for (let i = 0; i < 100_000; i++) {
      const leafDir = path.join(results100k, `i=${i}`);
      mkdirSync(leafDir, { recursive: true });
      writeFileSync(path.join(leafDir, 'leaf.txt'), String(i));
    }
    // The root is incomplete, so every leaf's completeness is checked; --dry-run stops before running.
    const m = b2run(dir, ['Sum', '--n', '100000', '--dry-run'], { allowFailure: true });
    record('graph 100,000 complete tasks', 'wall', m.wall, 's', '< 5 s', m.wall < 5);
    if (m.rssMb !== undefined) record('graph 100,000 complete tasks', 'peak RSS', m.rssMb, 'MB', '< 500 MB', m.rssMb < 500);
  },

  /**
   * `b2 worker` cold start for one leaf of a 100,000-task pipeline, against
   * `node -e 0`. The job gets its task record on the command line and reads
   * the settings snapshot that a batch run writes (both made here with b2's
   * own modules); it builds no graph.
   */
  worker() {
    const dir = freshDir('worker');
    b2run(dir, ['Sum', '--n', '10']);
    const runDir = path.join(dir, '.b2', 'runs', 'bench');
    mkdirSync(runDir, { recursive: true });
    const script = `
      const { writeFileSync } = await import('node:fs');
      const path = await import('node:path');
      const internals = await import(${JSON.stringify(path.join(ROOT, 'dist', 'internals.js'))});
      const { compilePipeline, importBundle, taskRef } = internals;
      const dir = ${JSON.stringify(dir)}, runDir = ${JSON.stringify(runDir)};
      const file = path.join(dir, 'pipelines.ts');
      await internals.initSettings({ cwd: dir, env: {}, flags: {}, pipelineDir: dir });
      const bundle = await compilePipeline(file);
      const { Leaf, Sum } = await importBundle(bundle, file);
      const root = new Sum({ n: 100000 });
      const leaf = new Leaf({ i: 99999 });
      writeFileSync(path.join(runDir, 'settings.json'), JSON.stringify(internals.exportSettingsSnapshot()));
      const taskRecord = JSON.stringify({ path: [taskRef(leaf)], bundle, file });
      process.stdout.write(JSON.stringify({ id: leaf.taskId, taskRecord, root: root.taskId }));`;
    const { id, taskRecord } = JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: dir }).stdout);
    const runs = 11;
    const walls = [];
    const baseline = [];
    for (let i = 0; i < runs; i++) {
      rmSync(path.join(dir, 'results'), { recursive: true, force: true });
      walls.push(measure([process.execPath, B2, 'worker', '--task-id', id, '--run-dir', runDir, '--task-record', taskRecord], { cwd: dir }).wall);
      baseline.push(measure([process.execPath, '-e', '0']).wall);
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    record('b2 worker cold start, 100k pipeline', 'median wall', median(walls) * 1000, 'ms', `≤ 250 ms (node -e 0: ${(median(baseline) * 1000).toFixed(0)} ms)`, median(walls) <= 0.25);
  },

  /**
   * 2,000 trivial tasks through the HTCondor simulator with --workers 200 on a
   * farm of 8 slots. Counts the status queries the simulator received against
   * the poll intervals the run lasted, and the runner's own CPU per job (from
   * its journal: the commands and jobs it started are not in it).
   */
  async htcondor() {
    const { createFakeCluster } = await import(path.join(ROOT, 'test', 'fakes', 'lib', 'index.mjs'));
    const n = 2000;
    const poll = 2;
    const dir = freshDir(`htcondor-${n}`);
    b2run(dir, ['Sum', '--n', '1']); // compile the bundle once
    rmSync(path.join(dir, 'results'), { recursive: true, force: true });
    const cluster = createFakeCluster();
    try {
      cluster.setFaults({ maxRunning: 8 });
      const args = ['Trivial', '--n', String(n), '--batch', '--workers', '200', '--setting', 'batch_system=htcondor', '--setting', `poll_interval=${poll}`];
      const m = b2run(dir, args, { env: { ...cluster.env, NO_COLOR: '1' }, timeout: 3600_000 });
      const status = JSON.parse(measure([process.execPath, B2, 'status', '--json'], { cwd: dir }).stdout);
      const calls = cluster.calls();
      const count = (cmd) => calls.filter((call) => call.cmd === cmd).length;
      const intervals = m.wall / poll;
      const perInterval = count('condor_q') / intervals;
      record(`htcondor sim ${n.toLocaleString('en')} jobs, --workers 200`, 'wall', m.wall, 's', `${count('condor_submit')} submits, ${count('condor_history')} condor_history`);
      record(`htcondor sim ${n.toLocaleString('en')} jobs`, 'condor_q / poll', perInterval, '', `≤ 1 (${count('condor_q')} in ${intervals.toFixed(0)} intervals of ${poll} s)`, perInterval <= 1);
      const cpuPerJob = status.runnerCpuMs / n;
      record(`htcondor sim ${n.toLocaleString('en')} jobs`, 'runner CPU/job', cpuPerJob, 'ms', `≤ 5 ms (runner ${(status.runnerCpuMs / 1000).toFixed(1)} s in all)`, cpuPerJob <= 5);
    } finally {
      cluster.cleanup();
    }
  },

  /**
   * Run start with a long history: 60 finished runs of 20,000 batch tasks
   * each (journals of about 9 MB) in the state folder, against an empty one.
   * Each start runs one new trivial task; keep_runs is raised so that nothing
   * is pruned. The first start with history indexes the journals once; later
   * ones read only the index.
   */
  history() {
    const dir = freshDir('history');
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ result_dir: 'results', log_dir: 'logs', keep_runs: 1000 }));
    b2run(dir, ['Leaf', '--i', '0']); // compile the bundle once
    let next = 1;
    const start = () => b2run(dir, ['Leaf', '--i', String(next++)]).wall;
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const stateDir = path.join(dir, '.b2', 'runs');
    rmSync(stateDir, { recursive: true, force: true });
    const empty = median([start(), start(), start()]);
    rmSync(stateDir, { recursive: true, force: true });
    writeHistory(stateDir, path.join(dir, 'pipelines.ts'), 60, 20_000);
    const cold = start();
    const warm = median([start(), start(), start()]);
    record('run start, empty state folder', 'wall', empty, 's', 'reference');
    record('run start, 60 journals, first', 'wall', cold, 's', `≤ reference + 3 s (${(cold - empty).toFixed(2)} s more)`, cold - empty <= 3);
    record('run start, 60 journals, later', 'wall', warm, 's', `≤ reference + 0.3 s (${(warm - empty).toFixed(2)} s more)`, warm - empty <= 0.3);
  },

  // Bulk submission (bench/arrays.mjs): arrays on real Slurm and Grid Engine, packing on the
  // HTCondor simulator, kill -9 during an array submission. Its figures join this table.
  'slurm-array': () => bulk('slurm-array'),
  'sge-array': () => bulk('sge-array'),
  'htcondor-pack': () => bulk('htcondor-pack'),
  'array-kill': () => bulk('array-kill'),

  /** 500 trivial tasks on the real Slurm against a plain sbatch loop: bench/batch-real.mjs. */
  slurm() {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'batch-real.mjs')], { stdio: 'inherit' });
    const summary = JSON.parse(readFileSync(path.join(OUT, 'batch-real', 'results.json'), 'utf8'));
    record('slurm 500 tasks vs sbatch loop', 'b2/bash wall', summary.ratio, '', '≤ 1.2', result.status === 0 && summary.ratio <= 1.2);
  },
};

/** Runs one benchmark of bench/arrays.mjs, which prints its own lines; its results join results.json. */
function bulk(name) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'arrays.mjs'), name], { stdio: 'inherit' });
  const file = path.join(OUT, 'arrays-results.json');
  const own = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  results.push(...own);
  if (result.status !== 0 && !own.some((r) => r.ok === false)) results.push({ name, figure: 'exit', value: result.status, unit: '', target: '0', ok: false });
}

const names = process.argv.slice(2);
const selected = names.length ? names : ['local', 'graph', 'worker'];
mkdirSync(OUT, { recursive: true });
console.log(`b2 benchmarks on ${os.cpus().length} cores, node ${process.version}${GNU_TIME ? '' : ' (no /usr/bin/time: no CPU or memory figures)'}`);
for (const name of selected) {
  const bench = benchmarks[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
process.exitCode = results.some((r) => r.ok === false) ? 1 : 0;
