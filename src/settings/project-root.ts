/**
 * How far up settings files are looked for: from the working directory to
 * the project root, the nearest folder with a package.json or .git, or the
 * home folder, whichever comes first. A folder above the project belongs to
 * someone else (a shared group folder, /tmp), and its settings must not
 * steer, let alone run in, this project's runs.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PROJECT_MARKERS = ['package.json', '.git'];

const isProjectRoot = (dir: string): boolean => PROJECT_MARKERS.some((marker) => existsSync(path.join(dir, marker)));

/**
 * The folders to search, nearest first, the boundary included. Outside any
 * project and outside the home folder there is no boundary to trust: only
 * the starting folder itself is searched.
 */
export const settingsSearchDirs = (start: string, home: string = os.homedir()): string[] => {
  const dirs: string[] = [];
  const stop = path.resolve(home);
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    dirs.push(dir);
    if (dir === stop || isProjectRoot(dir)) return dirs;
    if (path.dirname(dir) === dir) return dirs.slice(0, 1);
  }
};
