#!/usr/bin/env node
/**
 * Bulk submission benchmarks: arrays on a real Slurm and Grid Engine,
 * packing on the HTCondor simulator, and kill -9 in the middle of an array
 * submission. Each prints its figures next to their targets and exits
 * non-zero when one is missed.
 *
 *   node bench/arrays.mjs NAME... [--tasks N] [--workers N] [--runs N] [--per-job N]
 *
 *   slurm-array    2,000 trivial tasks, --workers 500, arrays on: sbatch calls ≤ 5,
 *                  wall ≤ 0.6 × a bash loop that sbatches the same wrappers one by
 *                  one (run alternately, in one sitting); also the submit phase
 *                  alone (start until the last job is queued). Measured with one
 *                  task per job and with tasks_per_job 10 (--per-job 1,10), each
 *                  against the same loop runs; the wall target is judged on the
 *                  most packed: where the jobs run on the runner's own few cores,
 *                  b2 and the loop both wait on 2,000 starts of the same wrapper
 *   sge-array      the same on Grid Engine: qsub calls ≤ 5
 *   htcondor-pack  100,000 tasks on the HTCondor simulator with tasks_per_job
 *                  100, each task's executable /bin/true (the runner is measured): ≤ 1,000 jobs, runner CPU ≤ 1 ms per task,
 *                  condor_q calls ≤ 1 per poll interval (the adaptive one's floor,
 *                  poll_interval_min)
 *   array-kill     on Slurm and on Grid Engine: b2 is killed with SIGKILL while its
 *                  array submission is under way (as soon as the journal shows the
 *                  intent, and again right after the first job id), then run again:
 *                  every task ran exactly once, and no job of the run is left a
 *                  minute after the rerun (elements still ending as it exits, their
 *                  exit status written, are shown; a duplicate would run meanwhile)
 *
 * Scheduler calls come from the run's journal (run-finished.schedulerCalls), the
 * same count `b2 status --json` shows. The real-cluster benchmarks take the lock
 * the real-cluster test suites take (test/helpers/clusters.ts), so they never
 * share the farm with one. Works in bench/out/arrays-*.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out');

// The build measured is a snapshot (bin/, dist/, templates/, package.json): jobs start b2 for
// an hour or more, and a rebuild of this tree meanwhile must not change it under them.
const snapshot = () => {
  const dir = path.join(OUT, `b2-snapshot-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  for (const part of ['bin', 'dist', 'templates', 'package.json']) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'bin', 'b2.js');
};
const B2 = snapshot();
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const { values: opts, positionals: names } = parseArgs({
  allowPositionals: true,
  options: {
    tasks: { type: 'string' },
    workers: { type: 'string' },
    runs: { type: 'string', default: '1' },
    // slurm-array and sge-array: tasks per job (tasks_per_job), a comma-separated list.
    'per-job': { type: 'string' },
  },
});

const results = [];
const record = (name, figure, value, unit, target, ok) => {
  results.push({ name, figure, value, unit, target, ok });
  const shown = typeof value === 'number' ? value.toFixed(value < 10 ? 3 : 1) : value;
  console.log(`${ok === undefined ? ' ' : ok ? '✓' : '✗'} ${name.padEnd(36)} ${figure.padEnd(22)} ${String(shown).padStart(10)} ${unit.padEnd(6)} ${target}`);
};

// ---------------------------------------------------------------- helpers

/** The lock the real-cluster suites take (test/helpers/clusters.ts): one user of the farm at a time. */
const withClusterLock = async (flag, body) => {
  const dir = path.join(os.tmpdir(), `b2-test-${flag.toLowerCase()}.lock`);
  const deadline = Date.now() + 45 * 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'owner'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let owner;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner'), 'utf8'));
    } catch {
      owner = undefined;
    }
    const gone = owner > 0 ? !alive(owner) : Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 30_000;
    if (gone) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${dir} stayed taken for 45 minutes`);
    await sleep(500);
  }
  try {
    return await body();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

const freshDir = (name, settings = {}) => {
  const dir = path.join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'bench', 'pipelines.ts'), path.join(dir, 'pipelines.ts'));
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ result_dir: 'results', log_dir: 'logs', ...settings }));
  return dir;
};

/** Wall seconds, and CPU seconds of the process with everything it waited for (GNU time). */
const measure = (argv, options = {}) => {
  const timeFile = path.join(os.tmpdir(), `b2-bench-arrays-time-${process.pid}`);
  const command = GNU_TIME ? [GNU_TIME, '-f', '%U %S', '-o', timeFile, ...argv] : argv;
  const start = Date.now();
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', maxBuffer: 256 << 20, ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  const end = Date.now();
  const cpu = GNU_TIME && existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number).reduce((a, b) => a + b, 0) : NaN;
  rmSync(timeFile, { force: true });
  if (result.status !== 0 && !options.allowFailure) throw new Error(`${argv.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  return { start, end, wall: (end - start) / 1000, cpu, status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const journals = (dir) => {
  const runs = path.join(dir, '.b2', 'runs');
  return existsSync(runs) ? readdirSync(runs).filter((name) => existsSync(path.join(runs, name, 'journal.jsonl'))).sort().map((name) => path.join(runs, name, 'journal.jsonl')) : [];
};

const readJournal = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return []; // a line torn by the kill
      }
    });

/** The latest run's scheduler calls and runner CPU, from its journal. */
const runFacts = (dir) => {
  const entries = readJournal(journals(dir).pop());
  const finished = entries.find((e) => e.type === 'run-finished') ?? {};
  return { calls: finished.schedulerCalls ?? {}, cpuMs: finished.cpuMs, entries };
};

const b2Args = (tasks, workers, system, extra = []) => [process.execPath, B2, 'run', 'pipelines.ts', 'Trivial', '--n', String(tasks), '--batch', '--batch-system', system, '--workers', String(workers), ...extra];

/** Outputs and status files gone, so that every task runs again. */
const resetOutputs = (dir) => {
  rmSync(path.join(dir, 'results'), { recursive: true, force: true });
  const logs = path.join(dir, 'logs');
  if (!existsSync(logs)) return;
  for (const name of readdirSync(logs)) for (const file of ['exit_status', 'started']) rmSync(path.join(logs, name, 'Leaf', file), { force: true });
};

const checkAllRan = (dir, tasks, who) => {
  const missing = [];
  for (let i = 0; i < tasks; i++) if (!existsSync(path.join(dir, 'results', `i=${i}`, 'leaf.txt'))) missing.push(i);
  if (missing.length > 0) throw new Error(`${who}: ${missing.length} task(s) did not run, e.g. i=${missing.slice(0, 5).join(', i=')}`);
};

// ---------------------------------------------------------------- real clusters

const SYSTEMS = {
  slurm: {
    flag: 'B2_TEST_SLURM',
    submit: 'sbatch',
    usable: () => /^(idle|mixed|allocated|completing)/m.test(spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' }).stdout ?? ''),
    // The plain loop: each wrapper sbatched alone, then squeue until none is left.
    loop: `#!/bin/bash
set -euo pipefail
name=$1
for wrapper in task_files/i=*/Leaf/executable_wrapper.sh; do
  log=logs/\${wrapper#task_files/}
  log=\${log%/executable_wrapper.sh}
  sbatch --parsable -J "$name" -o "$log/stdout" -e "$log/stderr" "$wrapper" >/dev/null
done
echo "submitted-at $(date +%s%3N)"
while [ -n "$(squeue -h -n "$name" -o %i)" ]; do sleep 1; done
`,
    leftJobs: (tag) => spawnSync('squeue', ['-h', '-o', '%i %k'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(tag)),
  },
  sge: {
    flag: 'B2_TEST_SGE',
    submit: 'qsub',
    usable: () => spawnSync('qstat', ['-f'], { encoding: 'utf8' }).status === 0,
    // Job names are b2-<tag>-<key>-<name>; the XML form shows them whole.
    leftJobs: (tag) => [...spawnSync('qstat', ['-xml', '-u', '*'], { encoding: 'utf8' }).stdout.matchAll(/<JB_name>([^<]*)<\/JB_name>/g)].map((m) => m[1]).filter((name) => name.includes(tag)),
  },
};

const requireSystem = (name) => {
  if (!SYSTEMS[name].usable()) throw new Error(`no usable ${name} here (see scripts/${name}-up.sh)`);
};

/**
 * b2 with arrays against the bash loop, alternately, in one sitting. The first
 * b2 run compiles the pipeline and writes the wrappers the loop submits.
 */
const arrayBench = async (systemName, { compareLoop }) => {
  const system = SYSTEMS[systemName];
  requireSystem(systemName);
  const tasks = Number(opts.tasks ?? 2000);
  const workers = Number(opts.workers ?? 500);
  const runs = Number(opts.runs);
  const perJobs = (opts['per-job'] ?? (compareLoop ? '1,10' : '1')).split(',').map(Number);
  const judged = Math.max(...perJobs);
  const dir = freshDir(`arrays-${systemName}`, { array: true });
  if (compareLoop) writeFileSync(path.join(dir, 'loop.sh'), system.loop);
  const labelOf = (perJob) => `${systemName} ${tasks.toLocaleString('en')} tasks, --workers ${workers}${perJob > 1 ? `, ${perJob}/job` : ''}`;
  await withClusterLock(system.flag, async () => {
    const b2 = (perJob) => {
      resetOutputs(dir);
      const m = measure(b2Args(tasks, workers, systemName, ['--setting', `tasks_per_job=${perJob}`]), { cwd: dir });
      checkAllRan(dir, tasks, 'b2');
      const facts = runFacts(dir);
      // The submit phase: from the command's start until the last job is in the queue.
      const lastSubmitted = Math.max(...facts.entries.filter((e) => e.type === 'submitted').map((e) => e.t));
      return { ...m, ...facts, submitPhase: (lastSubmitted - m.start) / 1000 };
    };
    const loop = (i) => {
      resetOutputs(dir);
      const m = measure(['bash', 'loop.sh', `b2loop${process.pid}x${i}`], { cwd: dir });
      checkAllRan(dir, tasks, 'bash loop');
      const submittedAt = Number(/submitted-at (\d+)/.exec(m.stdout)?.[1]);
      return { ...m, submitPhase: (submittedAt - m.start) / 1000 };
    };
    const rows = [];
    for (let i = 0; i < runs; i++) {
      const row = { b2: {} };
      if (compareLoop && i % 2 === 1) row.loop = loop(i);
      for (const perJob of perJobs) row.b2[perJob] = b2(perJob);
      if (compareLoop && i % 2 === 0) row.loop = loop(i);
      rows.push(row);
      const b2Text = perJobs.map((n) => `b2 ${n}/job ${row.b2[n].wall.toFixed(1)} s (submitted in ${row.b2[n].submitPhase.toFixed(1)} s)`).join(', ');
      console.log(`  run ${i + 1}: ${b2Text}${row.loop ? `, bash loop ${row.loop.wall.toFixed(1)} s (submitted in ${row.loop.submitPhase.toFixed(1)} s)` : ''}`);
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    for (const perJob of perJobs) {
      const label = labelOf(perJob);
      const of = (r) => r.b2[perJob];
      const submits = Math.max(...rows.map((r) => of(r).calls[system.submit] ?? 0));
      record(label, `${system.submit} calls`, submits, '', '≤ 5', submits <= 5);
      const total = median(rows.map((r) => Object.values(of(r).calls).reduce((a, b) => a + b, 0)));
      record(label, 'scheduler calls/task', total / tasks, '', `${total} calls in all: ${JSON.stringify(of(rows[0]).calls)}`);
      record(label, 'runner CPU/task', median(rows.map((r) => of(r).cpuMs / tasks)), 'ms', '');
      if (compareLoop) {
        const submitRatio = median(rows.map((r) => of(r).submitPhase / r.loop.submitPhase));
        record(label, 'submit phase b2/loop', submitRatio, '', `b2 ${median(rows.map((r) => of(r).submitPhase)).toFixed(1)} s, loop ${median(rows.map((r) => r.loop.submitPhase)).toFixed(1)} s`);
        const ratio = median(rows.map((r) => of(r).wall / r.loop.wall));
        const walls = `b2 ${median(rows.map((r) => of(r).wall)).toFixed(1)} s, loop ${median(rows.map((r) => r.loop.wall)).toFixed(1)} s`;
        if (perJob === judged) record(label, 'b2 / bash loop wall', ratio, '', `≤ 0.6 (${walls})`, ratio <= 0.6);
        else record(label, 'b2 / bash loop wall', ratio, '', `shown, not judged (${walls})`);
      } else {
        record(label, 'wall', median(rows.map((r) => of(r).wall)), 's', '');
      }
    }
  });
};

/**
 * kill -9 of b2 while its array submission is under way, at two moments; then
 * the same command again. Counted leaves append their index to runs.log as they
 * run, so a task that ran twice (or not at all) shows.
 */
const killBench = async (systemName) => {
  const system = SYSTEMS[systemName];
  requireSystem(systemName);
  const tasks = Number(opts.tasks ?? 200);
  await withClusterLock(system.flag, async () => {
    for (const moment of ['intent', 'first-id']) {
      const dir = freshDir(`arrays-kill-${systemName}-${moment}`, { array: true });
      const args = [process.execPath, B2, 'run', 'pipelines.ts', 'Counted', '--n', String(tasks), '--batch', '--batch-system', systemName, '--workers', String(tasks)];
      measure([process.execPath, B2, 'run', 'pipelines.ts', 'Counted', '--n', '1', '--dry-run'], { cwd: dir, allowFailure: true }); // compile once
      const child = spawn(args[0], args.slice(1), { cwd: dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      const killedAt = await killWhen(dir, child, moment);
      const rerun = measure(args, { cwd: dir, allowFailure: true });
      // The last elements may still be ending in the queue after writing their exit status, which
      // is what b2 goes by: give them a minute. A duplicate job would run meanwhile, and show below.
      const tags = journals(dir).flatMap((file) => readJournal(file).filter((e) => e.type === 'run-started' && e.mode === 'batch').map((e) => e.tag));
      const leftJobs = () => tags.flatMap((tag) => system.leftJobs(tag));
      let left = leftJobs();
      const leftAtExit = left.length;
      for (const deadline = Date.now() + 60_000; left.length > 0 && Date.now() < deadline; left = leftJobs()) await sleep(1000);
      const counts = new Map();
      const log = path.join(dir, 'results', 'runs.log');
      for (const line of existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) counts.set(line, (counts.get(line) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([i]) => i);
      const never = [];
      for (let i = 0; i < tasks; i++) if (!counts.has(String(i))) never.push(i);
      const ok = rerun.status === 0 && twice.length === 0 && never.length === 0 && left.length === 0;
      const detail = `rerun exit ${rerun.status}, ${twice.length} twice, ${never.length} never, ${left.length} job(s) left a minute on (${leftAtExit} still ending as b2 exited); killed ${killedAt}`;
      record(`${systemName} kill -9 at ${moment}, rerun`, 'tasks run exactly once', tasks - twice.length - never.length, `/${tasks}`, `all (${detail})`, ok);
    }
  });
};

/** SIGKILL the runner at the moment named, read off its journal; says what the journal held then. */
const killWhen = async (dir, child, moment) => {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const file = journals(dir).pop();
    if (file) {
      const entries = readJournal(file);
      const intents = entries.filter((e) => e.type === 'submit-intent').length;
      const ids = entries.filter((e) => e.type === 'submitted').length;
      if ((moment === 'intent' && intents > 0) || (moment === 'first-id' && ids > 0)) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        return `after ${intents} intent(s), ${ids} id(s)`;
      }
    }
    if (child.exitCode !== null) return 'never: the run ended first';
    await sleep(5);
  }
  child.kill('SIGKILL');
  return 'at the deadline';
};

// ---------------------------------------------------------------- HTCondor simulator

/**
 * 100,000 tasks packed 100 to a job on the HTCondor simulator (a farm of 8
 * slots). The figures are the runner's and the scheduler's, so the tasks do
 * nothing (executable /bin/true: each task's wrapper still runs and records
 * its exit status); 100,000 node starts would take hours on a small machine.
 * Jobs from the simulator's own records; condor_q calls against the adaptive
 * wait's floor; the runner's CPU and its scheduler calls from its journal.
 */
const htcondorPack = async () => {
  const { createFakeCluster } = await import(path.join(ROOT, 'test', 'fakes', 'lib', 'index.mjs'));
  const tasks = Number(opts.tasks ?? 100_000);
  const perJob = 100;
  const poll = 10;
  const pollMin = 2;
  const dir = freshDir(`arrays-htcondor-${tasks}`, { tasks_per_job: perJob, executable: ['/bin/true'] });
  const run = (cluster, n, extra = []) =>
    measure(b2Args(n, Number(opts.workers ?? n), 'htcondor', ['--setting', `poll_interval=${poll}`, '--setting', `poll_interval_min=${pollMin}`, ...extra]), { cwd: dir, env: cluster.env, timeout: 4 * 3600_000 });
  const succeeded = () => runFacts(dir).entries.filter((e) => e.type === 'succeeded' && e.id.startsWith('Leaf_')).length;
  // A first, small run (which also compiles the pipeline) must already pack: 100,000 jobs of one task each would swamp this machine.
  const probe = createFakeCluster();
  try {
    probe.setFaults({ maxRunning: 8 });
    run(probe, 3 * perJob, ['--setting', 'result_dir=probe']);
    const jobs = probe.jobs().length;
    if (jobs > 3) throw new Error(`tasks_per_job ${perJob} is not honoured on HTCondor: ${3 * perJob} tasks went out as ${jobs} jobs`);
  } finally {
    probe.cleanup();
  }
  const cluster = createFakeCluster();
  try {
    cluster.setFaults({ maxRunning: 8, condorQueueLingerMs: 1000 });
    const m = run(cluster, tasks);
    const done = succeeded();
    if (done !== tasks) throw new Error(`${done} of ${tasks} tasks succeeded`);
    const { calls, cpuMs } = runFacts(dir);
    const simulated = cluster.calls();
    const count = (cmd) => simulated.filter((call) => call.cmd === cmd).length;
    const jobs = cluster.jobs().length;
    const label = `htcondor sim ${tasks.toLocaleString('en')} tasks, ${perJob}/job`;
    record(label, 'jobs', jobs, '', `≤ ${tasks / perJob} (${count('condor_submit')} condor_submit, wall ${m.wall.toFixed(0)} s)`, jobs <= tasks / perJob);
    record(label, 'runner CPU/task', cpuMs / tasks, 'ms', `≤ 1 ms (runner ${(cpuMs / 1000).toFixed(1)} s in all)`, cpuMs / tasks <= 1);
    // The wait between queries adapts between poll_interval_min and poll_interval: never more than one per floor.
    const floors = m.wall / pollMin;
    record(label, 'condor_q / poll_interval_min', count('condor_q') / floors, '', `≤ 1 (${count('condor_q')} in ${floors.toFixed(0)} intervals of ${pollMin} s; ${(count('condor_q') / (m.wall / poll)).toFixed(2)} per ${poll} s)`, count('condor_q') / floors <= 1);
    record(label, 'scheduler calls/task', Object.values(calls).reduce((a, b) => a + b, 0) / tasks, '', JSON.stringify(calls));
  } finally {
    cluster.cleanup();
  }
};

// ---------------------------------------------------------------- main

const benchmarks = {
  'slurm-array': () => arrayBench('slurm', { compareLoop: true }),
  'sge-array': () => arrayBench('sge', { compareLoop: false }),
  'htcondor-pack': htcondorPack,
  'array-kill': async () => {
    await killBench('slurm');
    await killBench('sge');
  },
};

if (names.length === 0) {
  console.error(`name one or more of: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
console.log(`b2 bulk-submission benchmarks on ${os.cpus().length} cores, node ${process.version}`);
for (const name of names) {
  const bench = benchmarks[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  try {
    await bench();
  } catch (error) {
    record(name, 'error', '-', '', error.message.split('\n')[0], false);
  }
}
writeFileSync(path.join(OUT, 'arrays-results.json'), JSON.stringify(results, null, 2));
process.exitCode = results.some((r) => r.ok === false) ? 1 : 0;
