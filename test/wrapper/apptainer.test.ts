/**
 * Job wrappers that run their command in an Apptainer container, under the
 * project's apptainer stand-in (test/shims/apptainer), which reads its argv as
 * the real one does: what runs inside and outside, and every value intact.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { containerArgv, defaultMounts, type ContainerSpec } from '../../src/wrapper/apptainer.js';
import { isUserError } from '../../src/errors.js';
import { withCanary } from '../helpers/hostile-values.js';
import { ROOT } from '../helpers/b2.js';
import { nodeCommand, WrapperFixture } from './fixture.js';

const SHIM = path.join(ROOT, 'test', 'shims', 'apptainer');

const REPORT = `
const names = (process.env.B2T_NAMES ?? '').split(',').filter(Boolean);
process.stdout.write('\\nREPORT' + JSON.stringify({
  argv: process.argv.slice(1),
  env: Object.fromEntries(names.map((n) => [n, process.env[n] ?? null])),
  cwd: process.cwd(),
}) + '\\n');`;
const report = (stdout: string): { argv: string[]; env: Record<string, string | null>; cwd: string } =>
  JSON.parse(stdout.split('\n').find((line) => line.startsWith('REPORT'))?.slice('REPORT'.length) ?? 'null');

let fx: WrapperFixture;
let image: string;
let shimLog: string;
beforeEach(() => {
  fx = new WrapperFixture();
  image = path.join(fx.root, 'analysis image.sif');
  writeFileSync(image, 'SIF');
  shimLog = path.join(fx.root, 'apptainer-calls.jsonl');
});
afterEach(() => fx.cleanup());

const calls = (): { argv: string[]; image: string; binds: { src: string; dst: string }[]; command: string[]; cleanenv: boolean }[] =>
  readFileSync(shimLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

const container = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({ command: SHIM, image, additionalParams: [], binds: [], ...overrides });

describe('the command line in a container', () => {
  it('is apptainer exec, the additional params, one --bind per mount, the image, then the command as it is', () => {
    const argv = containerArgv(container({ additionalParams: ['--nv', '--cleanenv'], binds: ['/data', '/scratch:/work:ro'] }), {
      envScript: '',
      exports: '',
      command: ['/usr/bin/node', '/opt/b2/bin/b2.js', 'worker', '--task-id', 'T_1'],
    });
    expect(argv).toEqual([SHIM, 'exec', '--nv', '--cleanenv', '--bind', '/data', '--bind', '/scratch:/work:ro', image, '/usr/bin/node', '/opt/b2/bin/b2.js', 'worker', '--task-id', 'T_1']);
  });

  it('with env_script or env: /bin/bash -c sources the script and exports the entries inside, the command as "$@"', () => {
    const argv = containerArgv(container(), { envScript: '/setup.sh', exports: "export A='x y'", command: ['prog', 'arg'] });
    expect(argv.slice(0, 5)).toEqual([SHIM, 'exec', image, '/bin/bash', '-c']);
    expect(argv[5]).toContain('source /setup.sh ||');
    expect(argv[5]).toMatch(/\nsource \/setup\.sh \|\|[^\n]*\nexport A='x y'\nexec "\$@"$/);
    expect(argv.slice(6)).toEqual(['b2-job', 'prog', 'arg']);
  });
});

describe('job wrapper with a container, run under the apptainer stand-in', () => {
  it('passes every hostile argument, env value and env script path through both shells literally', () => {
    const canary = path.join(fx.root, 'CANARY');
    const values = withCanary(canary, 300).filter((value) => !value.includes('\0'));
    const env: Record<string, string> = { B2T_NAMES: '' };
    values.slice(0, 100).forEach((value, i) => {
      env[`HOSTILE_${i}`] = value;
    });
    env.B2T_NAMES = Object.keys(env).join(',');
    const script = path.join(fx.root, "env 'script' $(x).sh");
    writeFileSync(script, 'export FROM_SCRIPT="sourced in $B2T_WHERE"\n');
    const out = fx.run(nodeCommand(REPORT, ...values), { env, envScript: script, container: container({ binds: [fx.logDir] }) }, undefined, {
      ...process.env,
      B2_APPTAINER_SHIM_LOG: shimLog,
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const seen = report(out.stdout);
    expect(seen.argv).toEqual(values);
    expect(seen.env).toEqual(env);
    expect(seen.cwd).toBe(fx.workDir);
    expect(existsSync(canary)).toBe(false);
    const [call] = calls();
    expect(call!.image).toBe(image);
    expect(call!.binds).toEqual([{ src: fx.logDir, dst: fx.logDir }]);
    expect(call!.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(fx.status()).toBe('0\n');
  });

  it('sources the env script and sets env inside the container, so --cleanenv keeps them; outside, neither is applied', () => {
    const script = path.join(fx.root, 'setup.sh');
    writeFileSync(script, 'export FROM_SCRIPT=yes\nexport BOTH=script\n');
    const out = fx.run(
      nodeCommand(REPORT),
      { envScript: script, env: { BOTH: 'entry', ENTRY: 'e', B2T_NAMES: 'FROM_SCRIPT,BOTH,ENTRY,OUTSIDE_ONLY' }, container: container({ additionalParams: ['--cleanenv'] }) },
      undefined,
      { ...process.env, B2_APPTAINER_SHIM_LOG: shimLog, OUTSIDE_ONLY: 'host' },
    );
    expect(out.code).toBe(0);
    // --cleanenv: the host's variables stay outside; the env script and entries still apply, entries last.
    expect(report(out.stdout).env).toEqual({ FROM_SCRIPT: 'yes', BOTH: 'entry', ENTRY: 'e', OUTSIDE_ONLY: null });
    expect(calls()[0]!.cleanenv).toBe(true);
    expect(out.stdout).toContain(`b2: sourcing the env script ${script} in the container\n`);
    expect(out.stdout).not.toContain(`b2: sourcing the env script ${script}\n`);
  });

  it('records the status of the command in the container; a failing env script fails the job with its status', () => {
    expect(fx.run(nodeCommand('process.exit(7)'), { container: container() }).code).toBe(7);
    expect(fx.status()).toBe('7\n');
    const script = path.join(fx.root, 'bad.sh');
    writeFileSync(script, 'return 4\n');
    const out = fx.run(nodeCommand('process.exit(0)'), { envScript: script, container: container() });
    expect(out.code).toBe(4);
    expect(out.stderr).toContain(`b2: the env script ${script} failed with status 4`);
  });

  it('fails as apptainer does on a missing image or bind source (255), and the status file says so', () => {
    const missing = fx.run(nodeCommand('0'), { container: container({ image: path.join(fx.root, 'gone.sif') }) });
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain('could not open image');
    const bind = fx.run(nodeCommand('0'), { container: container({ binds: [path.join(fx.root, 'nowhere')] }) });
    expect(bind.code).toBe(255);
    expect(bind.stderr).toContain("doesn't exist");
    expect(fx.status()).toBe('255\n');
  });
});

describe('default mounts', () => {
  it('bind folders outside the working directory, once, and refuse a folder apptainer cannot name', () => {
    expect(defaultMounts([{ setting: 'result_dir', dir: '/work/results' }, { setting: 'log_dir', dir: '/logs' }, { setting: 'state_dir', dir: '/logs/runs' }], '/work')).toEqual(['/logs']);
    expect(defaultMounts([{ setting: 'result_dir', dir: '/work/results' }], undefined)).toEqual(['/work/results']);
    let error: unknown;
    try {
      defaultMounts([{ setting: 'log_dir', dir: '/data/a,b' }], '/work');
    } catch (caught) {
      error = caught;
    }
    expect(isUserError(error) && error.message).toContain('log_dir /data/a,b cannot be bound into the container');
  });
});
