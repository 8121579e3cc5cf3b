/**
 * Where the pipeline lives. Relative result/log/task-file folders resolve
 * against the pipeline file's folder (as b2luigi resolves them against the
 * script), so a run gives the same paths from any working directory. The
 * folder is the one the settings were set up with (the working directory
 * until then): one record of it, in the runner, a pool worker and a job alike.
 */
import path from 'node:path';
import { currentState } from '../settings/state.js';

export const getPipelineDir = (): string => currentState().inputs.context.pipelineDir;

export const resolveFromPipeline = (value: string): string => path.resolve(getPipelineDir(), value);
