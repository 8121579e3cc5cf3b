import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `count` lines of a file (reads at most the last 64 KiB); [] when it is missing. */
export const lastLines = (file: string, count: number): string[] => {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
};
