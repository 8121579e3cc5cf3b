import chalk from 'chalk';

/** Counts per task family: one row per family (sorted), the name left-aligned, the counts right-aligned, under a bold header. */
export const familyTable = (header: readonly string[], rows: readonly (readonly string[])[], indent = ''): string[] => {
  const sorted = [...rows].sort((a, b) => a[0]!.localeCompare(b[0]!));
  const widths = header.map((h, i) => Math.max(h.length, ...sorted.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]): string => `${indent}${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`;
  return [chalk.bold(format(header)), ...sorted.map(format)];
};
