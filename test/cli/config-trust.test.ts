/** Through the real CLI: settings files above the project root are not read, and a config others can change never runs. */
import { describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

const canaryConfig = (canary: string, settings: string): string =>
  `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(canary)}, 'ran');\nexport default ${settings};\n`;

describe('configuration trust', () => {
  it('a b2.config.mjs two levels above the project is neither run nor read', () => {
    const outer = makeProject({});
    const canary = path.join(outer, 'canary');
    writeFileSync(path.join(outer, 'b2.config.mjs'), canaryConfig(canary, "{ result_dir: '/nonexistent/outer' }"));
    writeFileSync(path.join(outer, 'settings.json'), JSON.stringify({ log_dir: '/nonexistent/outer-logs' }));
    const project = path.join(outer, 'group', 'project');
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'project' }));
    writeFileSync(path.join(project, 'p.ts'), averagePipeline());
    const result = runB2(['settings', 'p.ts'], { cwd: project });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('/nonexistent/');
    expect(existsSync(canary)).toBe(false);
  });

  it('a world-writable b2.config.mjs is refused with exit 2, naming the file and chmod, and never runs', () => {
    const project = makeProject({ 'package.json': JSON.stringify({ name: 'p', type: 'module' }), 'p.ts': averagePipeline() });
    const canary = path.join(project, 'canary');
    const config = path.join(project, 'b2.config.mjs');
    writeFileSync(config, canaryConfig(canary, '{ workers: 2 }'));
    chmodSync(config, 0o666);
    const result = runB2(['run', 'p.ts'], { cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Refusing to execute the b2 configuration ${config}: it is writable by everyone (mode 0666)`);
    expect(result.stderr).toContain(`chmod go-w ${config}`);
    expect(result.output).not.toMatch(STACK_LINE);
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(path.join(project, 'some_parameter=0'))).toBe(false);
  });
});
