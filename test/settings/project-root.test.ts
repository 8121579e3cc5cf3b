/** Settings files are looked for up to the project root only, and a config that runs code must be the user's alone. */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { getSetting, resetSettings } from '../../src/settings/index.js';
import { settingsSearchDirs } from '../../src/settings/project-root.js';
import { init, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

/** outer/{settings.json, b2.config.mjs (canary)} above project/ (marked by `marker`), cwd project/ana. */
const treeAboveProject = (marker: string) => {
  const outer = tempDir();
  const canary = path.join(outer, 'canary');
  writeFile(outer, 'settings.json', { queue: 'from-outer', log_dir: 'outer-logs' });
  writeFile(outer, 'b2.config.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(canary)}, 'ran');\nexport default { job_name: 'from-outer' };\n`);
  const project = path.join(outer, 'group', 'project');
  mkdirSync(project, { recursive: true });
  if (marker === '.git') mkdirSync(path.join(project, '.git'));
  else writeFile(project, marker, { name: 'project' });
  const cwd = path.join(project, 'ana');
  writeFile(cwd, 'settings.json', { queue: 'from-ana' });
  return { outer, project, cwd, canary };
};

describe('settings files stop at the project root', () => {
  it.each(['package.json', '.git'])('a folder with %s bounds the search: nothing above it is read or run', async (marker) => {
    const { project, cwd, canary } = treeAboveProject(marker);
    writeFile(project, 'settings.json', { result_dir: 'from-project' });
    await init({ cwd });
    expect(getSetting('queue')).toBe('from-ana');
    expect(getSetting('result_dir')).toBe('from-project');
    expect(getSetting('log_dir')).toBe('logs');
    expect(getSetting('job_name', { default: 'unset' })).toBe('unset');
    expect(existsSync(canary)).toBe(false);
  });

  it('the home folder bounds the search when no project root comes first', () => {
    const home = tempDir();
    const cwd = path.join(home, 'ana', 'run');
    mkdirSync(cwd, { recursive: true });
    expect(settingsSearchDirs(cwd, home)).toEqual([cwd, path.join(home, 'ana'), home]);
  });

  it('outside a project and the home folder, only the working directory is searched', () => {
    const top = tempDir();
    const cwd = path.join(top, 'ana');
    mkdirSync(cwd, { recursive: true });
    expect(settingsSearchDirs(cwd, '/nonexistent-home')).toEqual([cwd]);
  });

  it('the project root itself is searched', () => {
    const project = tempDir();
    writeFile(project, 'package.json', {});
    const cwd = path.join(project, 'a', 'b');
    mkdirSync(cwd, { recursive: true });
    expect(settingsSearchDirs(cwd, '/nonexistent-home')).toEqual([cwd, path.join(project, 'a'), project]);
  });
});

describe('a configuration that runs code must be changeable by its owner alone', () => {
  const projectWith = (name: string, mode: number, folderMode = 0o755) => {
    const project = tempDir();
    writeFile(project, 'package.json', { name: 'p', type: 'module' });
    const canary = path.join(project, 'canary');
    const file = writeFile(project, name, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(canary)}, 'ran');\nexport default { queue: 'from-config' };\n`);
    chmodSync(file, mode);
    chmodSync(path.dirname(file), folderMode);
    return { project, file, canary };
  };

  it.each([
    ['b2.config.mjs', '0666'],
    ['b2.config.js', '0646'],
    ['b2.config.ts', '0664'],
    ['.b2rc.mjs', '0666'],
  ])('%s with mode %s is refused, naming the file and chmod, and never runs', async (name, mode) => {
    const { project, file, canary } = projectWith(name, parseInt(mode, 8));
    const error = await init({ cwd: project }).then(() => undefined, (e: unknown) => e as { message: string; hint?: string; exitCode?: number });
    expect(error?.message).toContain(`Refusing to execute the b2 configuration ${file}: it is writable by`);
    expect(error?.hint).toContain(`chmod go-w ${file}`);
    expect(error?.exitCode).toBe(2);
    expect(existsSync(canary)).toBe(false);
  });

  it('a config in a folder others can write to is refused', async () => {
    const { project, canary } = projectWith('b2.config.mjs', 0o644, 0o777);
    await expect(init({ cwd: project })).rejects.toThrow(new RegExp(`the folder ${project} that holds it is writable by everyone \\(mode 0777\\)`));
    expect(existsSync(canary)).toBe(false);
  });

  it('a sticky folder (like /tmp) is no reason to refuse', async () => {
    const { project, canary } = projectWith('b2.config.mjs', 0o644, 0o1777);
    await init({ cwd: project });
    expect(getSetting('queue')).toBe('from-config');
    expect(existsSync(canary)).toBe(true);
  });

  it('plain data (JSON, YAML) in a writable place is read: it runs nothing', async () => {
    const project = tempDir();
    writeFile(project, 'package.json', {});
    chmodSync(writeFile(project, '.b2rc.yaml', 'queue: from-yaml\n'), 0o666);
    await init({ cwd: project });
    expect(getSetting('queue')).toBe('from-yaml');
  });
});
