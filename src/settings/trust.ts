/**
 * Config files that b2 executes (b2.config.ts/.js/.mjs, .b2rc.js, ...) run
 * with the user's rights: one that someone else can change is someone
 * else's code. Such a file is refused unless only its owner (the user, or
 * root) can change it and the folders that hold it.
 */
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

const GROUP_OR_WORLD_WRITABLE = 0o022;
const STICKY = 0o1000;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** What makes one file or folder untrustworthy, or undefined. */
const problemWith = (stats: Stats, uid: number, isFolder: boolean): string | undefined => {
  if (stats.uid !== uid && stats.uid !== 0) return `it is owned by another user (uid ${stats.uid})`;
  // In a sticky folder (like /tmp) others may create files but not replace or rename this user's.
  if ((stats.mode & GROUP_OR_WORLD_WRITABLE) !== 0 && !(isFolder && (stats.mode & STICKY) !== 0)) {
    return `it is writable by ${(stats.mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${octal(stats.mode)})`;
  }
  return undefined;
};

/** The file, then each folder from its own up to `searchDir` (a config in `.config/` counts on both). */
const chain = (file: string, searchDir: string): { readonly place: string; readonly isFolder: boolean }[] => {
  const places = [{ place: file, isFolder: false }];
  const top = path.resolve(searchDir);
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    places.push({ place: dir, isFolder: true });
    if (dir === top || path.dirname(dir) === dir) return places;
  }
};

/** Throws a UserError naming the file and the fix when others could have changed what b2 is about to execute. */
export const assertTrustedToExecute = (file: string, searchDir: string): void => {
  const uid = process.getuid?.();
  if (uid === undefined) return; // no owners to compare (Windows)
  for (const { place, isFolder } of chain(file, searchDir)) {
    const problem = problemWith(statSync(place), uid, isFolder);
    if (problem === undefined) continue;
    const what = isFolder ? `the folder ${place} that holds it` : 'it';
    throw new UserError(
      'untrusted-config',
      `Refusing to execute the b2 configuration ${file}: ${problem.replace(/^it/, what)}, so it may run code that is not yours.`,
      {
        hint: problem.includes('owned by')
          ? `Remove it, or take it over if its content is yours (chown $(id -un) ${place}; chmod go-w ${place}).`
          : `If its content is yours, make it changeable by you alone: chmod go-w ${place}`,
      },
    );
  }
};
