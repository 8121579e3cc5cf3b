/**
 * b2's pipeline API: what `import { ... } from 'b2'` gives a pipeline.
 * Keep this entry cheap to import: batch jobs load it once per task.
 */
export {
  Task,
  ExternalTask,
  WrapperTask,
  inherits,
  requires,
  isTask,
  type OutputTarget,
  type Requirements,
  type ParamValues,
  type ParamInput,
  type TaskClass,
  type WithParams,
} from './pipeline/task.js';
export { param, enumParam, dictParam, type ParamDef, type ParamOptions } from './pipeline/params.js';
export { getSetting, setSetting, clearSetting } from './settings/index.js';
export { UserError, type Failure, type Result } from './errors.js';
