/**
 * Where the pipeline lives. Relative result/log/task-file folders resolve
 * against the pipeline file's folder (as b2luigi resolves them against the
 * script), so a run gives the same paths from any working directory.
 */
import path from 'node:path';

let pipelineDir = process.cwd();

export const setPipelineDir = (dir: string): void => {
  pipelineDir = path.resolve(dir);
};

export const getPipelineDir = (): string => pipelineDir;

export const resolveFromPipeline = (value: string): string => path.resolve(pipelineDir, value);
