/**
 * What `b2 run` shows: in a terminal (a pseudo-terminal made by util-linux
 * `script`) the phases, a bar and a few family rows, ending cleanly before
 * the summary; under NO_COLOR, no escape sequence; outside a terminal, the
 * periodic line with elapsed time and ETA; and the summary's wall time.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { B2_BIN, leavesPipeline, makeProject, runB2 } from '../helpers/b2.js';
import { waitFor } from '../helpers/runs.js';
import { FAST, useFakeClusters } from '../helpers/simulators.js';

const FAMILIES = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta', 'Eta', 'Theta', 'Iota', 'Kappa', 'Lambda'];
const PER_FAMILY = 3;

/** Eleven families of three tasks that take a moment each; Gamma(k=1) fails. */
const familiesPipeline = (): string => `
  import { writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  ${FAMILIES.map(
    (name) => `
  export class ${name} extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('${name}.txt'); }
    async run() {
      await sleep(150);
      if ('${name}' === 'Gamma' && this.k === 1) throw new Error('Gamma broke');
      writeFileSync(this.getOutputFileName('${name}.txt'), 'x');
    }
  }`,
  ).join('\n')}
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < ${PER_FAMILY}; k++) { ${FAMILIES.map((name) => `yield new ${name}({ k });`).join(' ')} } }
  }
  export default new All();`;

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const plain = (text: string): string => text.replace(ESCAPES, '').replace(/\r/g, '');

const terminalEnv = (env: Record<string, string | undefined>): Record<string, string | undefined> => {
  const environment: Record<string, string | undefined> = { ...process.env, ...env };
  // Never the caller's b2 settings or colour choices: only what the test gives.
  for (const key of Object.keys(environment)) if ((key.startsWith('B2_') || key === 'NO_COLOR' || key === 'FORCE_COLOR') && !(key in env)) delete environment[key];
  return environment;
};

// The shell's pid is b2's after exec: written for a test that signals it.
const terminalCommand = (workers: number, args: readonly string[] = []): string =>
  `stty cols 120 rows 50; echo $$ > b2.pid; exec '${process.execPath}' '${B2_BIN}' run pipeline.ts --workers ${workers} ${args.join(' ')}`;

/** `b2 run` in a pseudo-terminal of 120 columns; stdout and stderr both come back as the terminal showed them. */
const runInTerminal = (dir: string, env: Record<string, string | undefined> = {}): { code: number | null; output: string } => {
  const result = spawnSync('script', ['-qfec', terminalCommand(4), '/dev/null'], { cwd: dir, env: terminalEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, output: result.stdout };
};

describe('b2 run in a terminal', () => {
  it('shows the phases, a bar and at most nine family rows, then the summary on a clean terminal', () => {
    const dir = makeProject({ 'pipeline.ts': familiesPipeline() });
    const { code, output } = runInTerminal(dir);
    // Gamma(k=1) failed, and All is not run.
    expect(code).toBe(1);
    const text = plain(output);
    for (const phase of ['Loading pipeline (', 'Building graph: 34 task(s) in 12 families', 'Checking completeness: 0 complete, 34 to run', 'Running ', 'Finishing']) {
      expect(text).toContain(phase);
    }
    expect(text).toMatch(/Running [█░]{20} \d+\/34 done · \d+ running · \d+ failed.* · elapsed \d+.* · ETA /);
    // The last frame: eight families and the others in one row, each with its bar; never a row per task.
    const frames = text.split('Loading pipeline (');
    const last = frames[frames.length - 1]!;
    const familyRows = last.split('\n').filter((line) => /^ {2}\S .* [█░]{16} \d+\/\d+/.test(line));
    expect(familyRows).toHaveLength(9);
    expect(last).toMatch(/4 more families +[█░]{16} \d+\/\d+/);
    expect(last).not.toMatch(/Alpha\(k=\d\) +[█░]/);
    // The failure, said in full once the view ends; then the summary, the cursor given back.
    expect(last).toContain('failed: Gamma(k=1): Gamma broke');
    expect(output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(output.lastIndexOf('Finishing'));
    const tail = text.trimEnd().split('\n');
    expect(tail[tail.length - 1]).toMatch(/^wall time: \d+(\.\d+)? ?(ms|s)$|^wall time: \d+m\d\ds$/);
    expect(tail[tail.length - 2]).toContain('✗ 1 failed, 0 cancelled, 1 not run, 32 ran, 0 complete before.');
  });

  it('writes no escape sequence under NO_COLOR: one line redrawn with spaces, with the bar, elapsed time and ETA', () => {
    const dir = makeProject({ 'pipeline.ts': familiesPipeline() });
    const { code, output } = runInTerminal(dir, { NO_COLOR: '1' });
    expect(code).toBe(1);
    expect(output).not.toContain('\x1b');
    expect(output).toMatch(/\[local\] [█░]{20} \d+\/34 done · \d+ running · \d+ failed · elapsed \d+.* · ETA /);
    expect(output).toContain('failed: Gamma(k=1): Gamma broke');
    expect(output.trimEnd()).toMatch(/wall time: \S+( \S+)?$/);
  });
});

describe('b2 run --batch in a terminal, stopped by two Ctrl-C', () => {
  const cluster = useFakeClusters();

  it('gives the terminal back before it says what is left, with the messages the view held', async () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': leavesPipeline(4, { family: 'Piece', param: 'k', file: 'piece.txt' }).replace('run() {', 'async run() { await new Promise((r) => setTimeout(r, 60_000));') });
    const args = ['--batch', '--batch-system', 'htcondor', ...FAST];
    const child = spawn('script', ['-qfec', terminalCommand(4, args), '/dev/null'], { cwd: dir, env: terminalEnv(fake.env), stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the four jobs to run', () => fake.jobs().filter((job) => job.state === 'running').length === 4, 60_000);
      await waitFor('the rows to show them', () => /Piece +[█░]{16} 0\/4 · 4 running/.test(plain(output)), 10_000);
      // The first Ctrl-C's wait for the jobs to leave the queue is still under way at the second.
      fake.setFaults({ queryHang: { seconds: 30, commands: ['condor_q'] } });
      const pid = Number(readFileSync(path.join(dir, 'b2.pid'), 'utf8'));
      process.kill(pid, 'SIGINT');
      await waitFor('the view to say it is finishing', () => plain(output).includes('Finishing: cancelling 4 task(s) in flight'), 10_000);
      process.kill(pid, 'SIGINT');
      expect(await exited).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fake.setFaults({});
      runB2(['kill'], { cwd: dir, env: fake.env });
    }
    const text = plain(output);
    const finishing = text.lastIndexOf('Finishing');
    // Held while the view drew, said once it ended: the first Ctrl-C's message and the jobs it cancels.
    expect(text.indexOf('stopping: cancelling 4 task(s) in flight (press Ctrl-C again to exit at once)', finishing)).toBeGreaterThan(finishing);
    expect(text.indexOf('cancelling 4 htcondor job(s): ', finishing)).toBeGreaterThan(finishing);
    expect(text.indexOf('exiting at once: jobs of run ', finishing)).toBeGreaterThan(finishing);
    expect(text).toMatch(/b2 kill \S+ cancels them/);
    // The cursor shown again before the last words.
    const shown = output.indexOf('\x1b[?25h', output.lastIndexOf('Finishing'));
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(output.lastIndexOf('exiting at once'));
  }, 120_000);
});

describe('b2 run outside a terminal', () => {
  it('prints the periodic line with elapsed time and ETA, plain, and the wall time in the summary', () => {
    const dir = makeProject({ 'pipeline.ts': familiesPipeline() });
    const result = runB2(['run', 'pipeline.ts', '--workers', '2'], { cwd: dir, env: { B2_PROGRESS_INTERVAL: '0.3' } });
    expect(result.code).toBe(1);
    expect(result.output).not.toContain('\x1b');
    const lines = result.stderr.split('\n').filter((line) => /^\d\d:\d\d:\d\d \[local\]/.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d \[local\] \d+\/34 done · \d+ running · \d+ failed( · \d+ not run)? · elapsed (\d+ ms|\d+ s|\dm\d\ds) · ETA (–|\d+ ms|\d+ s|\dm\d\ds)/);
    // Once a task has settled, the rate gives an estimate.
    expect(lines.some((line) => / · ETA \d/.test(line))).toBe(true);
    expect(result.stdout).toMatch(/\nwall time: (\d+ ms|\d+ s)\n$/);
  });
});
