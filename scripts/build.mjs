#!/usr/bin/env node
/**
 * Builds dist/: esbuild bundles src/ into a few ES modules, one per way in
 * (the pipeline API, the CLI, the batch worker, the local pool's worker,
 * the internals scripts use) plus the chunks they share, so every module
 * still exists once and a pipeline's classes are the CLI's. tsc writes the
 * type declarations. Why bundle: every batch job starts `b2 worker`, and
 * resolving and reading fifty-odd files cost each one about 35 ms of CPU
 * (more where each open is a round trip to a shared file system).
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
// A build error rejects, and ends this script with esbuild's message and a non-zero status.
await build({
  absWorkingDir: ROOT,
  entryPoints: {
    index: 'src/index.ts',
    'cli/main': 'src/cli/main.ts',
    'cli/worker-entry': 'src/cli/worker-entry.ts',
    'executors/pool-worker': 'src/executors/pool-worker.ts',
    internals: 'src/internals.ts',
  },
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});

const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exit(tsc.status ?? 1);
