/**
 * Settings: every behaviour a user may change per site, per run or per task,
 * looked up the same way everywhere. getSetting, setSetting and clearSetting
 * are public; the rest serves the CLI, the runner and the workers.
 * Importing this module is cheap: config-file loaders are imported only when
 * initSettings reads files.
 */
export { getSetting } from './lookup.js';
export { setSetting, clearSetting } from './state.js';
export { initSettings, resetSettings, type SettingsInit } from './init.js';
export { exportSettingsSnapshot, initSettingsFromSnapshot, type SettingsSnapshot } from './snapshot.js';
export { explainSetting, explainAllSettings, formatSettings, type ExplainedSetting } from './explain.js';
export { takeSettingsWarnings } from './warnings.js';
export { parseSettingAssignment } from './assignment.js';
export { parseMemory, parseDuration } from './values.js';
export { SETTINGS, settingsMarkdown, describeType, type SettingDefinition, type SettingType } from './table.js';
