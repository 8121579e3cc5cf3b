#!/usr/bin/env node
/**
 * The README's pictures of the run views: the report of a synthetic batch
 * run of 1,000 and of 100,000 tasks (five families, measured resources, a
 * few failures), photographed in Debian's headless Chromium, and the family
 * graph as SVG. Needs `npm run build` first; writes docs/report-1000.png,
 * docs/report-100000.png and docs/graph-family.svg.
 *
 *   node scripts/report-screenshots.mjs [--chromium /usr/bin/chromium]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { dotToSvg, pageModel, renderPage, runFamilyGraph, toDot } from '../dist/internals.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docs = path.join(root, 'docs');
const executable = process.argv.includes('--chromium') ? process.argv[process.argv.indexOf('--chromium') + 1] : '/usr/bin/chromium';

/** A seeded generator (mulberry32): the same pictures on every machine. */
const random = (() => {
  let state = 0xb2;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();

const FAMILIES = [
  { name: 'Generate', share: 0.4, wall: 300, cpu: 0.93, rss: 900, memoryMb: 2000, cpus: 1 },
  { name: 'Simulate', share: 0.4, wall: 1500, cpu: 0.81, rss: 3100, memoryMb: 4000, cpus: 1 },
  { name: 'Reconstruct', share: 0.15, wall: 900, cpu: 0.36, rss: 1800, memoryMb: 8000, cpus: 2 },
  { name: 'Merge', share: 0.049, wall: 200, cpu: 0.55, rss: 600, memoryMb: 1000, cpus: 1 },
  { name: 'Plot', share: 0.001, wall: 60, cpu: 0.9, rss: 300, memoryMb: 1000, cpus: 1 },
];
const MESSAGES = [
  ['exit', (i) => `exit status 139: segmentation fault in event ${i * 17}`, ['Processing event block', 'G4Exception: particle stuck in volume', 'Segmentation fault (core dumped)']],
  ['timeout', () => 'the batch system ended the job at its walltime (1h)', ['Event 48000 of 50000', 'slurmstepd: error: *** JOB CANCELLED DUE TO TIME LIMIT ***']],
  ['exit', (i) => `exit status 1: cannot open input file /data/run${i}/hits.root`, ['Error in <TFile::TFile>: file does not exist']],
];

const syntheticState = (count) => {
  const t0 = Date.UTC(2026, 11, 6, 20, 0, 0);
  const tasks = new Map();
  const running = Math.round(count * 0.03);
  let index = 0;
  for (const [f, family] of FAMILIES.entries()) {
    const members = Math.max(1, Math.round(count * family.share));
    for (let k = 0; k < members && index < count; k++, index++) {
      const id = `${family.name}_${k}`;
      const submittedAt = t0 + (f * 0.17 + random() * 0.45) * 3600_000;
      const startedAt = submittedAt + (30 + random() ** 3 * 1800) * 1000;
      const wallSeconds = family.wall * (0.6 + random() * 0.8);
      const endedAt = startedAt + wallSeconds * 1000;
      const task = { id, family: family.name, params: { run: 4000 + (k % 50), event_block: k }, logDir: `/scratch/b2/logs/${family.name}/event_block=${k}`, phase: 'succeeded', attempt: 1, jobIds: [String(910000 + index)], changedAt: endedAt };
      const resources = { attempt: 1, submittedAt, startedAt, endedAt, exitCode: 0, wallSeconds, cpuSeconds: wallSeconds * family.cpus * family.cpu * (0.8 + random() * 0.4), maxRssMb: family.rss * (0.7 + random() * 0.5), host: `wn${String(1 + Math.floor(random() * 60)).padStart(3, '0')}`, requested: { cpus: family.cpus, memoryMb: family.memoryMb } };
      const roll = random();
      if (f === 1 && roll < 0.012) {
        const [reason, message] = MESSAGES[Math.floor(random() * MESSAGES.length)];
        Object.assign(task, { phase: 'failed', reason, message: message(k), attempt: 3, exitCode: reason === 'timeout' ? 143 : 1 });
      } else if (f >= 2 && roll < running / count * 3) {
        Object.assign(task, { phase: 'running', changedAt: startedAt });
        tasks.set(id, task);
        continue;
      } else if (f === 4) continue; // not started yet
      tasks.set(id, { ...task, resources: [resources] });
    }
  }
  const now = t0 + 2.2 * 3600_000;
  return {
    now,
    total: index,
    state: { started: { type: 'run-started', runId: '20261206-200000000-5e1f0a', pid: 4242, host: 'submit01', pipeline: '/home/physicist/analysis/pipeline.ts', roots: [], mode: 'batch', tag: 'b2-5e1f0a', total: index + Math.round(count * 0.05), toRun: index, t: t0 }, tasks, lastEntryAt: now },
  };
};

const tailOf = (task) => {
  const entry = MESSAGES.find(([, message]) => message(task.params.event_block) === task.message);
  return entry ? [`b2 worker: ${task.family}(run=${task.params.run}, event_block=${task.params.event_block})`, ...entry[2]] : [];
};

const familyGraph = (state) => {
  const sizes = new Map();
  for (const family of FAMILIES) sizes.set(family.name, 0);
  for (const task of state.tasks.values()) sizes.set(task.family, sizes.get(task.family) + 1);
  return {
    families: FAMILIES.map((family) => ({ name: family.name, tasks: sizes.get(family.name) + (family.name === 'Plot' ? 1 : 0), complete: 0 })),
    edges: [[0, 1], [1, 2], [2, 3], [3, 4], [0, 3]],
  };
};

const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

mkdirSync(docs, { recursive: true });
const profile = mkdtempSync(path.join(os.tmpdir(), 'b2-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: executable, args: BROWSER_ARGS, viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
try {
  for (const count of [1000, 100_000]) {
    const { state, now } = syntheticState(count);
    const liveness = { kind: 'alive', pid: 4242, host: 'submit01' };
    const data = pageModel({ runId: state.started.runId, state, liveness, now, tailOf });
    const graph = runFamilyGraph(familyGraph(state), state, false);
    const svg = await dotToSvg(toDot(graph, state.started.runId));
    data.graphSvg = svg;
    if (count === 1000) writeFileSync(path.join(docs, 'graph-family.svg'), `${svg.trimEnd()}\n`);
    const file = path.join(profile, `report-${count}.html`);
    writeFileSync(file, renderPage(data));
    const page = await context.newPage();
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => globalThis.__b2 !== undefined);
    const firstRender = await page.evaluate(() => globalThis.__b2.firstTableRender);
    await page.screenshot({ path: path.join(docs, `report-${count}.png`), fullPage: true });
    await page.close();
    process.stdout.write(`report of ${count} tasks: table first rendered ${Math.round(firstRender)} ms after navigation; docs/report-${count}.png\n`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
