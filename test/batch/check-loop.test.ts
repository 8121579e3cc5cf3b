import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CheckLoop } from '../../src/batch/check-loop.js';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

/** A check that stays open until the test lets it finish, as one awaiting the queue does. */
const controlledCheck = () => {
  const finishers: (() => void)[] = [];
  const check = jest.fn(() => new Promise<void>((resolve) => finishers.push(resolve)));
  const finish = async (): Promise<void> => {
    finishers.shift()!();
    // Let the loop's continuation after `await check()` run.
    await Promise.resolve();
    await Promise.resolve();
  };
  return { check, finish };
};

describe('CheckLoop', () => {
  it('runs one check per interval, however often it is asked to', async () => {
    const { check, finish } = controlledCheck();
    const loop = new CheckLoop(check, () => 1000, () => true);
    loop.ensure();
    loop.ensure();
    jest.advanceTimersByTime(1000);
    expect(check).toHaveBeenCalledTimes(1);
    // Jobs started while the check awaits the queue: no second chain.
    for (let i = 0; i < 5; i++) loop.ensure();
    jest.advanceTimersByTime(5000);
    expect(check).toHaveBeenCalledTimes(1);
    await finish();
    jest.advanceTimersByTime(999);
    expect(check).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(check).toHaveBeenCalledTimes(2);
    loop.stop();
  });

  it('stops when there is nothing left to watch, and starts again when asked', async () => {
    const { check, finish } = controlledCheck();
    let watching = false;
    const loop = new CheckLoop(check, () => 1000, () => watching);
    loop.ensure();
    jest.advanceTimersByTime(1000);
    await finish();
    jest.advanceTimersByTime(10_000);
    expect(check).toHaveBeenCalledTimes(1);
    watching = true;
    loop.ensure();
    jest.advanceTimersByTime(1000);
    expect(check).toHaveBeenCalledTimes(2);
    loop.stop();
  });

  it('runs no check after stop, not even one already scheduled', async () => {
    const { check, finish } = controlledCheck();
    const loop = new CheckLoop(check, () => 1000, () => true);
    loop.ensure();
    jest.advanceTimersByTime(1000);
    loop.stop();
    await finish();
    loop.ensure();
    jest.advanceTimersByTime(10_000);
    expect(check).toHaveBeenCalledTimes(1);
  });
});
