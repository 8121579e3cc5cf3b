/**
 * What a batch run cost the scheduler, end to end on the simulators: the
 * line the run ends with and `schedulerCalls` in `b2 status --json`, both
 * agreeing with the commands the simulator saw; and a submission that fails
 * for good (a rejected option) is not tried again.
 */
import { describe, expect, it } from '@jest/globals';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { averagePipeline, makeProject, runB2 } from '../helpers/b2.js';

const cluster = useFakeClusters();

describe.each([
  { system: 'htcondor', submit: 'condor_submit' },
  { system: 'lsf', submit: 'bsub' },
] as const)('scheduler calls on the $system simulator', ({ system, submit }) => {
  const run = (dir: string, env: NodeJS.ProcessEnv, extra: string[] = []) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '200', ...FAST, ...extra], { cwd: dir, env });

  it('ends the run with the calls per command and per task, and journals them for status --json', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = run(dir, fake.env);
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    const seen: Record<string, number> = {};
    for (const call of fake.calls()) seen[call.cmd] = (seen[call.cmd] ?? 0) + 1;
    const total = Object.values(seen).reduce((a, b) => a + b, 0);
    const line = result.stdout.split('\n').find((l) => l.startsWith('scheduler calls: ')) ?? '';
    const match = /^scheduler calls: (.*) = (\d+) calls, (\d+\.\d{4}) per task$/.exec(line);
    expect(match).not.toBeNull();
    const listed = Object.fromEntries(match![1]!.split(', ').map((part) => [part.split(' ')[1], Number(part.split(' ')[0])]));
    expect(listed).toEqual(seen);
    expect([Number(match![2]), match![3]]).toEqual([total, (total / 11).toFixed(4)]);
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { schedulerCalls: { byCommand: Record<string, number>; total: number; perTask: number } };
    expect(status.schedulerCalls).toEqual({ byCommand: seen, total, perTask: total / 11 });
    expect(runB2(['status'], { cwd: dir }).stdout).toContain(`  ${line}\n`);
  });

  it('fails a rejected submission at once, with the message, without trying again', () => {
    const fake = cluster();
    fake.setFaults({ submitError: { message: 'Error in rusage section. Job not submitted.', exitCode: system === 'lsf' ? 255 : 1 } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const started = Date.now();
    const result = run(dir, fake.env, ['MyNumberTask', '--some-parameter', '1', '--setting', 'submit_retries=5']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`could not submit to ${system}`);
    expect(result.stdout).toContain('Error in rusage section. Job not submitted.');
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('tries a submission that fails for a passing reason again, with growing waits, and then fails with both messages', () => {
    const fake = cluster();
    fake.setFaults({ submitError: {} }); // the simulators' default messages: an unreachable schedd, a rejecting mbatchd
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const started = Date.now();
    // One job per task: an array's tries are counted per array (array-submit-failed).
    const result = run(dir, fake.env, ['MyNumberTask', '--some-parameter', '1', '--setting', 'submit_retries=2', '--setting', 'array=false']);
    const elapsed = Date.now() - started;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`could not submit to ${system} (3 tries, the system kept failing for a passing reason)`);
    expect(result.stderr).toMatch(new RegExp(`submitting to ${system} failed for a passing reason \\(MyNumberTask\\(some_parameter=1\\), try 1 of 3\\); trying again in \\d+ s`));
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(3);
    // Waits of 1-2 s, then 2-4 s.
    expect(elapsed).toBeGreaterThanOrEqual(3000);
  });
});
