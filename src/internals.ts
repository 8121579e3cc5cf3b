/**
 * What b2's own scripts and benchmarks call directly (dist/internals.js):
 * not the pipeline API, and no promise of stability. An entry of the same
 * build as the CLI, so it shares the CLI's copy of every module.
 */
export { settingsMarkdown } from './settings/table.js';
export { initSettings, initSettingsFromSnapshot, exportSettingsSnapshot, getSetting } from './settings/index.js';
export { compilePipeline, importBundle } from './pipeline/load.js';
export { taskRef } from './pipeline/reconstruct.js';
export { pageModel } from './views/page-model.js';
export { renderPage } from './views/page.js';
export { runFamilyGraph } from './views/run-graph.js';
export { toDot } from './views/dot.js';
export { dotToSvg } from './views/svg.js';
