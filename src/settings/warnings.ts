/**
 * Settings warnings (unknown keys, deprecated names) are collected rather
 * than printed, so the CLI decides how to show them; each is given once per
 * process even when the same file is read again or a lookup repeats.
 */
const pending: string[] = [];
const given = new Set<string>();

export const warn = (message: string): void => {
  if (given.has(message)) return;
  given.add(message);
  pending.push(message);
};

export const takeSettingsWarnings = (): string[] => pending.splice(0, pending.length);

export const resetWarnings = (): void => {
  pending.length = 0;
  given.clear();
};
