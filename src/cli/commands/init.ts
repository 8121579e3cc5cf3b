/**
 * `b2 init [FOLDER]`: a starter project to run at once: a commented
 * two-family pipeline, its settings.json and a .gitignore for what runs
 * leave behind. Existing files are never overwritten without --force.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { templatesDir } from '../../wrapper/render.js';
import { makeFolders, writing } from '../../util/files.js';
import { EXIT } from '../options.js';

/** Template under templates/init/ -> file written. (npm leaves .gitignore files out of packages, hence the plain name.) */
const FILES: readonly (readonly [string, string])[] = [
  ['pipeline.ts', 'pipeline.ts'],
  ['settings.json', 'settings.json'],
  ['gitignore', '.gitignore'],
];

interface InitFlags {
  readonly force?: boolean;
}

export const registerInitCommand = (program: Command): void => {
  program
    .command('init')
    .description('write a starter pipeline, settings.json and .gitignore')
    .argument('[folder]', 'where to write them (created if missing)', '.')
    .option('--force', 'overwrite files that exist')
    .action((folder: string, options: InitFlags) => {
      process.exitCode = initProject(folder, options.force === true);
    });
};

export const initProject = (folder: string, force: boolean): number => {
  const dir = path.resolve(folder);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UserError('init-not-a-folder', `${dir} exists and is not a folder.`, { hint: 'Give b2 init a folder to write the starter project into.' });
  }
  const targets = FILES.map(([template, name]) => ({ template: path.join(templatesDir(), 'init', template), file: path.join(dir, name), name }));
  const existing = targets.filter((target) => existsSync(target.file));
  if (existing.length > 0 && !force) {
    throw new UserError('init-would-overwrite', `b2 init would overwrite ${existing.map((t) => t.file).join(', ')}.`, {
      hint: 'Choose an empty folder (b2 init my-analysis), or add --force to replace these files.',
    });
  }
  writing('the project folder', dir, () => makeFolders(dir));
  for (const target of targets) writing('a starter file', target.file, () => writeFileSync(target.file, readFileSync(target.template)));
  const shown = path.relative(process.cwd(), dir) || '.';
  const cd = shown === '.' ? '' : `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}\n`;
  process.stdout.write(
    `Wrote ${targets.map((t) => t.name).join(', ')} in ${dir}.\n\nNext:\n${cd}` +
      '  npm install --save-dev b2-pipelines   # b2 for this project, and the types for your editor\n' +
      '  npx b2 run pipeline.ts --dry-run      # what would run\n' +
      '  npx b2 run pipeline.ts                # run it on local workers\n' +
      '  npx b2 run pipeline.ts --batch        # or one batch job per task\n',
  );
  return EXIT.ok;
};
