#!/usr/bin/env node
/**
 * b2 on a real Slurm against the least a user could do by hand.
 *
 *   node bench/batch-real.mjs [--tasks 500] [--runs 3] [--poll-interval 10] [--bash-poll 1] [--b2 bin/b2.js]
 *
 * The pipeline is bench/pipelines.ts `Trivial --n N`: a WrapperTask over N
 * leaf tasks, each writing one small file. Measured, alternately:
 *   b2    `b2 run pipelines.ts Trivial --n N --batch --batch-system slurm --workers N`
 *   bash  a loop that sbatches the N executable_wrapper.sh files b2 wrote (the
 *         same jobs: `b2 worker` for one task each), then polls squeue until
 *         none is left.
 * Outputs and exit_status files are deleted before every run, so the tasks
 * really run. The figure is the median of b2 / bash (target ≤ 1.2), followed
 * by where b2's time went, from its journal and the files its jobs wrote.
 * Needs a usable Slurm (scripts/slurm-up.sh); works in bench/out/batch-real/.
 * --b2 measures another build (a copy of bin/, dist/, templates/ and
 * package.json), e.g. one with a change to try, or a snapshot that a rebuild
 * of this tree cannot change half-way through.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'bench', 'out', 'batch-real');
const TARGET = 1.2;

const { values: opts } = parseArgs({
  options: {
    tasks: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    'poll-interval': { type: 'string', default: '10' },
    'bash-poll': { type: 'string', default: '1' },
    b2: { type: 'string', default: path.join(ROOT, 'bin', 'b2.js') },
  },
});
const B2 = path.resolve(opts.b2);
const TASKS = Number(opts.tasks);
const RUNS = Number(opts.runs);
// b2's default: it asks squeue every poll_interval, and looks at the exit files of the jobs
// its latest answer does not list as pending every min(1 s, poll_interval). A job that
// starts and ends between two answers is seen at the next one (the "notice" column).
const POLL = Number(opts['poll-interval']);
// The hand-written loop has only squeue to go by, so it asks every second.
const BASH_POLL = Number(opts['bash-poll']);
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const fail = (message) => {
  console.error(`batch-real: ${message}`);
  process.exit(2);
};

const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
if (sinfo.error || sinfo.status !== 0 || !/^(idle|mixed|allocated)/m.test(sinfo.stdout)) {
  fail(`no usable Slurm (${sinfo.error?.message ?? (sinfo.stderr.trim() || sinfo.stdout.trim() || 'no idle node')}); start it with scripts/slurm-up.sh`);
}

// The baseline: sequential sbatch of every wrapper, then squeue until the name is gone.
// It prints when submission ended, to split its time like b2's.
const LOOP = `#!/bin/bash
set -euo pipefail
name=$1 poll=$2
for wrapper in task_files/i=*/Leaf/executable_wrapper.sh; do
  log=logs/\${wrapper#task_files/}
  log=\${log%/executable_wrapper.sh}
  sbatch --parsable -J "$name" -o "$log/stdout" -e "$log/stderr" "$wrapper" >/dev/null
done
echo "submitted $(date +%s%3N)"
while [ -n "$(squeue -h -n "$name" -o %i)" ]; do sleep "$poll"; done
`;

const leafDirs = () => readdirSync(path.join(DIR, 'logs')).filter((name) => name.startsWith('i=')).map((name) => path.join(DIR, 'logs', name, 'Leaf'));

/** Outputs and status files gone, so that every task runs again. */
const reset = () => {
  rmSync(path.join(DIR, 'results'), { recursive: true, force: true });
  if (!existsSync(path.join(DIR, 'logs'))) return;
  for (const dir of leafDirs()) for (const file of ['exit_status', 'started']) rmSync(path.join(dir, file), { force: true });
};

/** Every leaf wrote its output and recorded exit status 0. */
const checkAllRan = (who) => {
  const missing = [];
  for (let i = 0; i < TASKS; i++) {
    const status = path.join(DIR, 'logs', `i=${i}`, 'Leaf', 'exit_status');
    if (!existsSync(path.join(DIR, 'results', `i=${i}`, 'leaf.txt')) || !existsSync(status) || readFileSync(status, 'utf8').trim() !== '0') missing.push(i);
  }
  if (missing.length > 0) fail(`${who}: ${missing.length} task(s) did not run, e.g. i=${missing.slice(0, 5).join(', i=')}`);
};

/** The end of the last leaf job, from the mtime of the exit files the wrapper wrote. */
const lastLeafEnd = () => Math.max(...leafDirs().map((dir) => statSync(path.join(dir, 'exit_status')).mtimeMs));

/** Wall time, and CPU seconds of the process with its submit and query commands (GNU time). */
const run = (argv) => {
  const timeFile = path.join(DIR, 'cpu.txt');
  const command = GNU_TIME ? [GNU_TIME, '-f', '%U %S', '-o', timeFile, ...argv] : argv;
  const start = Date.now();
  const result = spawnSync(command[0], command.slice(1), { cwd: DIR, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  const end = Date.now();
  if (result.status !== 0) fail(`${argv.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  const cpu = GNU_TIME ? readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number).reduce((a, b) => a + b, 0) : NaN;
  return { start, end, wall: (end - start) / 1000, cpu, stdout: result.stdout };
};

const latestJournal = () => {
  const runs = path.join(DIR, '.b2', 'runs');
  const latest = readdirSync(runs).sort().pop();
  return readFileSync(path.join(runs, latest, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
};

const runB2 = () => {
  reset();
  const m = run([process.execPath, B2, 'run', 'pipelines.ts', 'Trivial', '--n', String(TASKS), '--batch', '--batch-system', 'slurm', '--workers', String(TASKS), '--setting', `poll_interval=${POLL}`]);
  checkAllRan('b2');
  const leafEnd = lastLeafEnd();
  const journal = latestJournal();
  const leaf = (e) => e.id?.startsWith('Leaf_');
  const times = (type, pick = leaf) => journal.filter((e) => e.type === type && pick(e)).map((e) => e.t);
  const rootDone = Math.max(...times('succeeded', (e) => e.id.startsWith('Trivial_')));
  const phases = {
    // process start to the first submission: node, bundle, graph, completeness checks
    startup: Math.min(...times('submit-intent')) - m.start,
    // first to last leaf submitted (sbatch calls, SUBMIT_CONCURRENCY at a time)
    submit: Math.max(...times('submitted')) - Math.min(...times('submit-intent')),
    // the last leaf job ended until b2 counted it done (exit-file check interval)
    notice: Math.max(...times('succeeded')) - leafEnd,
    // after the last leaf until the WrapperTask counts as done (the runner settles it, no job)
    wrapper: rootDone - Math.max(...times('succeeded')),
    // summary, journal close, exit
    exit: m.end - rootDone,
  };
  return { wall: m.wall, cpu: m.cpu, phases };
};

let loops = 0;
const runBash = () => {
  reset();
  const m = run(['bash', path.join(DIR, 'sbatch-loop.sh'), `b2bench-${process.pid}-${++loops}`, String(BASH_POLL)]);
  checkAllRan('bash');
  const submitted = Number(/submitted (\d+)/.exec(m.stdout)?.[1]);
  return { wall: m.wall, cpu: m.cpu, phases: { submit: submitted - m.start, drain: m.end - lastLeafEnd() } };
};

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const s = (ms) => (ms / 1000).toFixed(1);

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
cpSync(path.join(ROOT, 'bench', 'pipelines.ts'), path.join(DIR, 'pipelines.ts'));
writeFileSync(path.join(DIR, 'settings.json'), JSON.stringify({ result_dir: 'results', log_dir: 'logs' }));
writeFileSync(path.join(DIR, 'sbatch-loop.sh'), LOOP);

console.log(`${TASKS} trivial tasks on Slurm (${sinfo.stdout.trim().split('\n').join(', ')}), ${os.cpus().length} cores, node ${process.version}`);
console.log(`b2: ${B2}, poll_interval=${POLL} (exit files of jobs not pending checked every ${Math.min(1, POLL)} s); bash loop: squeue every ${BASH_POLL} s`);
console.log(`warm-up b2 run (compiles the pipeline once, writes the wrappers the bash loop submits)...`);
const warm = runB2();
console.log(`  ${warm.wall.toFixed(1)} s`);

const rows = [];
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so a drifting machine load hurts both alike.
  const load = os.loadavg()[0];
  const first = i % 2 === 0 ? runBash() : runB2();
  const second = i % 2 === 0 ? runB2() : runBash();
  const [bash, b2] = i % 2 === 0 ? [first, second] : [second, first];
  rows.push({ b2, bash, ratio: b2.wall / bash.wall, load });
  console.log(`  run ${i + 1}: b2 ${b2.wall.toFixed(1)} s, bash ${bash.wall.toFixed(1)} s`);
}

const pad = (text, width) => String(text).padStart(width);
console.log('');
console.log(`run  load   b2 (s)  bash (s)  b2/bash   b2: startup submit notice wrapper exit cpu   bash: submit drain cpu`);
for (const [i, r] of rows.entries()) {
  const p = r.b2.phases;
  console.log(
    `${pad(i + 1, 3)} ${pad(r.load.toFixed(1), 5)} ${pad(r.b2.wall.toFixed(1), 8)} ${pad(r.bash.wall.toFixed(1), 9)} ${pad(r.ratio.toFixed(3), 8)}` +
      `   ${pad(s(p.startup), 11)} ${pad(s(p.submit), 6)} ${pad(s(p.notice), 6)} ${pad(s(p.wrapper), 7)} ${pad(s(p.exit), 4)} ${pad(r.b2.cpu.toFixed(1), 4)}` +
      `   ${pad(s(r.bash.phases.submit), 12)} ${pad(s(r.bash.phases.drain), 5)} ${pad(r.bash.cpu.toFixed(1), 4)}`,
  );
}
const ratio = median(rows.map((r) => r.ratio));
console.log(
  `median        ${pad(median(rows.map((r) => r.b2.wall)).toFixed(1), 8)} ${pad(median(rows.map((r) => r.bash.wall)).toFixed(1), 9)} ${pad(ratio.toFixed(3), 8)}   target ≤ ${TARGET}: ${ratio <= TARGET ? 'met' : 'missed'}`,
);
console.log(`(seconds; notice and drain run from the end of the last leaf job, read from its exit_status file; cpu: the process with its sbatch/squeue calls)`);
writeFileSync(path.join(DIR, 'results.json'), JSON.stringify({ tasks: TASKS, poll: POLL, bashPoll: BASH_POLL, rows, ratio }, null, 2));
process.exitCode = ratio <= TARGET ? 0 : 1;
