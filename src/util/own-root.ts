/**
 * Where b2's own files are: the folder of its package.json, with bin/,
 * templates/ and dist/ under it. Found by walking up from this module
 * because the built code sits in bundle chunks (dist/chunks/), at another
 * depth than its source in src/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const findOwnRoot = (start: string): string => {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`b2 is damaged: no package.json above ${start}`);
  }
};

export const OWN_ROOT = findOwnRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A file of this copy of b2, e.g. ownFile('bin', 'b2.js'). */
export const ownFile = (...parts: readonly string[]): string => path.join(OWN_ROOT, ...parts);
