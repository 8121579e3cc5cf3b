/**
 * Measuring what a task used in the process that runs it (the batch job's
 * worker, or a local pool worker): CPU time of the process and of the
 * children it waited for, and peak resident memory. Linux's /proc gives the
 * children's CPU time (cutime/cstime) and a peak that a long-lived worker
 * can reset between tasks (clear_refs 5); elsewhere, getrusage of the
 * process alone.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseMeasurement, type WorkerMeasurement } from '../run/resources.js';

/** /proc reports times in clock ticks of USER_HZ, 100 on Linux whatever the kernel's own HZ. */
const USER_HZ = 100;

const readProc = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** cutime + cstime from /proc/self/stat, in seconds: waited-for children's CPU. Fields after the command's ")" are fixed. */
export const childCpuSecondsFromStat = (stat: string): number | undefined => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is fields[0]; cutime and cstime are fields 16 and 17.
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) / USER_HZ : undefined;
};

/** VmHWM from /proc/self/status (peak resident set), in megabytes. */
export const peakRssMbFromStatus = (status: string): number | undefined => {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
};

const childCpuSeconds = (): number => {
  const stat = readProc('/proc/self/stat');
  return (stat === undefined ? undefined : childCpuSecondsFromStat(stat)) ?? 0;
};

/** Reset the peak resident set to the current one; false where the kernel does not allow it. */
const resetPeakRss = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

const peakRssMb = (): number => {
  const status = readProc('/proc/self/status');
  // maxRSS: kilobytes, the whole life of the process.
  return (status === undefined ? undefined : peakRssMbFromStatus(status)) ?? process.resourceUsage().maxRSS / 1024;
};

export interface Measuring {
  readonly startedAt: number;
  readonly host: string;
  /** What a reader may know while the task runs. */
  readonly started: WorkerMeasurement;
  finish(exitCode: number): WorkerMeasurement;
}

/**
 * Start measuring a task. `sharedProcess`: the process ran other tasks
 * before (a pool worker): its peak is reset first (where it cannot be, the
 * peak is the process's since it started: an upper bound), and CPU time
 * counts from now. Otherwise the whole process is the task's, from its start
 * (node's own start-up and loading the pipeline are part of what a job costs).
 */
export const startMeasuring = (sharedProcess: boolean): Measuring => {
  const startedAt = sharedProcess ? Date.now() : Math.round(performance.timeOrigin);
  if (sharedProcess) {
    // What the previous task left for the collector is not this one's (pool workers run with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    resetPeakRss();
  }
  const cpu = sharedProcess ? process.cpuUsage() : undefined;
  const children = sharedProcess ? childCpuSeconds() : 0;
  const host = os.hostname();
  return {
    startedAt,
    host,
    started: { startedAt, host },
    finish: (exitCode) => {
      const used = process.cpuUsage(cpu);
      return {
        startedAt,
        host,
        endedAt: Date.now(),
        exitCode,
        cpuSeconds: (used.user + used.system) / 1e6 + Math.max(0, childCpuSeconds() - children),
        maxRssMb: peakRssMb(),
      };
    },
  };
};

/**
 * Write the measurement whole or not at all (the runner may read it at any
 * time); a failure to write it must not fail the task, so it is only told.
 */
export const writeMeasurement = (file: string, measurement: WorkerMeasurement): string | undefined => {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(measurement)}\n`);
    renameSync(temporary, file);
    return undefined;
  } catch (error) {
    return `b2 worker: cannot record what the task used in ${file}: ${error instanceof Error ? error.message : String(error)}`;
  }
};

/** The worker's record in `file`, when there is a readable one. */
export const readMeasurement = (file: string): WorkerMeasurement | undefined => {
  const text = readProc(file);
  return text === undefined ? undefined : parseMeasurement(text);
};
