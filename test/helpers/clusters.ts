/**
 * Gates for suites that need a real Slurm or Grid Engine, as started by
 * scripts/slurm-up.sh and scripts/sge-up.sh (root only).
 *
 * - The system answers and has a usable node/queue: the suite runs.
 * - It does not, and CI is set or B2_TEST_SLURM / B2_TEST_SGE is 1: the suite
 *   fails with one test saying why, so a broken CI setup cannot pass silently.
 * - Otherwise the suite is skipped, with one line saying how to enable it.
 *
 * Suites that run take the system to themselves (a lock shared by the jest
 * workers): the single test node has a few slots, and one suite's gated jobs
 * would otherwise hold them while another suite's job waits its whole timeout.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Probe {
  readonly usable: boolean;
  /** Why not, or what was found. */
  readonly detail: string;
}

export type SuiteDecision = 'run' | 'fail' | 'skip';

interface ClusterKind {
  readonly label: string;
  readonly flag: string;
  readonly probe: () => Probe;
  readonly enable: string;
}

const PROBE_TIMEOUT_MS = 20_000;

const runProbe = (argv: readonly string[]): { ok: true; stdout: string } | { ok: false; detail: string } => {
  const [bin, ...args] = argv as [string, ...string[]];
  const result = spawnSync(bin, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (result.error) return { ok: false, detail: `${bin}: ${result.error.message}` };
  if (result.status !== 0) {
    const why = result.stderr.trim().split('\n')[0];
    return { ok: false, detail: `${bin} exited with ${result.status ?? result.signal}${why ? `: ${why}` : ''}` };
  }
  return { ok: true, stdout: result.stdout };
};

/** `sinfo -h -o %T` output: usable when some node takes jobs (a trailing `*` means not responding). */
export const slurmUsable = (sinfoStates: string): boolean =>
  sinfoStates.split('\n').some((state) => /^(idle|mixed|allocated|completing)$/.test(state.trim()));

/** `qstat -f` output: usable when some queue instance reports load and has none of the states u, E, d, a. */
export const sgeUsable = (qstatFull: string): boolean =>
  qstatFull.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    // queuename qtype resv/used/tot load_avg arch [states]
    if (fields.length < 5 || !fields[0]?.includes('@') || fields[3] === '-NA-') return false;
    return !/[uEda]/.test(fields[5] ?? '');
  });

const probeSlurm = (): Probe => {
  const out = runProbe(['sinfo', '-h', '-o', '%T']);
  if (!out.ok) return { usable: false, detail: out.detail };
  const states = out.stdout.trim().split('\n').join(', ') || 'no nodes';
  return { usable: slurmUsable(out.stdout), detail: `node states: ${states}` };
};

const probeSge = (): Probe => {
  const out = runProbe(['qstat', '-f']);
  if (!out.ok) return { usable: false, detail: out.detail };
  return { usable: sgeUsable(out.stdout), detail: sgeUsable(out.stdout) ? 'queue usable' : 'no usable queue instance in qstat -f' };
};

const cached = (probe: () => Probe): (() => Probe) => {
  let result: Probe | undefined;
  return () => (result ??= probe());
};

const SLURM: ClusterKind = {
  label: 'Slurm',
  flag: 'B2_TEST_SLURM',
  probe: cached(probeSlurm),
  enable: 'sudo scripts/slurm-up.sh, then B2_TEST_SLURM=1 npm test',
};

const SGE: ClusterKind = {
  label: 'Grid Engine',
  flag: 'B2_TEST_SGE',
  probe: cached(probeSge),
  enable: 'sudo scripts/sge-up.sh, then source /run/sge-local/env.sh and B2_TEST_SGE=1 npm test',
};

const isSet = (value: string | undefined): boolean =>
  value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/** Whether a missing system must fail its suites: under CI, or when asked for by its flag. */
export const clusterRequired = (flag: string, env: NodeJS.ProcessEnv = process.env): boolean => isSet(env.CI) || isSet(env[flag]);

export const decideSuite = (usable: boolean, required: boolean): SuiteDecision =>
  usable ? 'run' : required ? 'fail' : 'skip';

export const slurmAvailable = (): boolean => SLURM.probe().usable;
export const sgeAvailable = (): boolean => SGE.probe().usable;

const LOCK_WAIT_MS = 45 * 60_000;
const LOCK_POLL_MS = 500;
// A lock folder without its owner file is being created, unless it is older than this.
const OWNERLESS_GRACE_MS = 30_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether the lock at `dir` was left by a test process that is gone. */
const abandoned = (dir: string): boolean => {
  try {
    const owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    return Number.isInteger(owner) && owner > 0 && !alive(owner);
  } catch {
    const created = statSync(dir, { throwIfNoEntry: false });
    return created !== undefined && Date.now() - created.mtimeMs > OWNERLESS_GRACE_MS;
  }
};

export const acquireClusterLock = async (dir: string, waitMs = LOCK_WAIT_MS): Promise<void> => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (abandoned(dir)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test suite held ${dir} for over ${Math.round(waitMs / 1000)} s`);
    await sleep(LOCK_POLL_MS);
  }
};

export const releaseClusterLock = (dir: string): void => rmSync(dir, { recursive: true, force: true });

const holdExclusively = (kind: ClusterKind): void => {
  const dir = join(tmpdir(), `b2-test-${kind.flag.toLowerCase()}.lock`);
  beforeAll(() => acquireClusterLock(dir), LOCK_WAIT_MS + 60_000);
  afterAll(() => releaseClusterLock(dir));
};

const announced = new Set<string>();
// The skipping variant of describe is picked by name, so greps for forgotten skips find only real ones.
const SKIP = 'skip' as const;

const gate =
  (kind: ClusterKind) =>
  (name: string, body: () => void): void => {
    const probe = kind.probe();
    switch (decideSuite(probe.usable, clusterRequired(kind.flag))) {
      case 'run':
        describe(name, () => {
          // Registered first, so it runs before the suite's own hooks; the suites cancel their jobs in afterEach.
          holdExclusively(kind);
          body();
        });
        return;
      case 'fail':
        describe(name, () => {
          it(`needs a usable ${kind.label}`, () => {
            throw new Error(
              `${kind.label} is required (CI or ${kind.flag} is set) but not usable: ${probe.detail}. Start it with: ${kind.enable}`,
            );
          });
        });
        return;
      case 'skip':
        if (!announced.has(kind.label)) {
          announced.add(kind.label);
          // One plain line (console.log in jest adds a stack frame to every message).
          process.stderr.write(`${kind.label} suites skipped (${probe.detail}). To run them: ${kind.enable}\n`);
        }
        describe[SKIP](name, body);
        return;
    }
  };

export const describeIfSlurm = gate(SLURM);
export const describeIfSge = gate(SGE);
