// Fault injection and behaviour switches. Settings come from faults.json in
// the state folder (re-read by every invocation, so a test can change them
// while jobs run) and from the B2_FAKE_FAULTS environment variable (a JSON
// object whose top-level keys override the file's). README.md lists them.
import path from 'node:path';
import { Exit, readText, sleepMs, withLock, writeAtomic } from './common.mjs';

// Read faults.json (written atomically by setFaults) plus the env override.
export function loadFaults(dir) {
  const fromFile = parseFaults(readText(path.join(dir, 'faults.json')), 'faults.json');
  const envText = process.env.B2_FAKE_FAULTS;
  const fromEnv = parseFaults(envText, 'B2_FAKE_FAULTS');
  const faults = { ...fromFile, ...fromEnv };
  // Remember where each consumable fault came from, so counts restart when it changes.
  faults.sources = {};
  for (const key of Object.keys(fromFile)) faults.sources[key] = `gen${fromFile.generation ?? 0}`;
  for (const key of Object.keys(fromEnv)) faults.sources[key] = `env${hash(envText)}`;
  return faults;
}

function parseFaults(text, where) {
  if (text === undefined || text.trim() === '') return {};
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new Exit(2, `b2 batch simulator: ${where} is not a JSON object\n`);
}

function hash(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

/**
 * Decide whether fault `name` fires for this invocation of `cmd`.
 * A fault fires for every eligible event unless it has `count` (fire that
 * many times) and/or `skip` (let that many eligible events pass first);
 * `commands` limits which commands are eligible. Returns the spec or undefined.
 */
export function take(dir, faults, name, cmd) {
  const spec = faults[name];
  if (!spec || typeof spec !== 'object') return undefined;
  if (Array.isArray(spec.commands) && !spec.commands.includes(cmd)) return undefined;
  const skip = Number(spec.skip ?? 0);
  if (spec.count === undefined && skip === 0) return spec;
  const count = spec.count === undefined ? Infinity : Number(spec.count);
  return withLock(dir, 'faults', () => {
    const file = path.join(dir, 'fault-usage.json');
    const usage = JSON.parse(readText(file) ?? '{}');
    const key = `${name}:${faults.sources?.[name] ?? 'gen0'}`;
    const seen = usage[key] ?? 0;
    usage[key] = seen + 1;
    writeAtomic(file, JSON.stringify(usage));
    return seen >= skip && seen < skip + count ? spec : undefined;
  });
}

// queryHang then queryError, shared by every status command.
export function applyQueryFaults(dir, faults, cmd, defaultError) {
  const hang = take(dir, faults, 'queryHang', cmd);
  if (hang) sleepMs(Number(hang.seconds ?? 0) * 1000);
  const fail = take(dir, faults, 'queryError', cmd);
  if (fail) {
    const { stderr, status } = defaultError(fail);
    throw new Exit(Number(fail.exitCode ?? status), fail.message !== undefined ? withNewline(fail.message) : stderr);
  }
}

export const withNewline = (s) => (s.endsWith('\n') ? s : `${s}\n`);

// A numeric switch with a default.
/** Block this process for `ms` (a submit command that is slow to answer, after its job exists). */
export function pause(ms) {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function num(faults, key, fallback) {
  const v = faults[key];
  return v === undefined || v === null ? fallback : Number(v);
}
