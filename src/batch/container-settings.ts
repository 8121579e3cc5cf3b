/**
 * A task's container from its settings (apptainer_*), or undefined when it
 * runs without one. Relative image paths are from the pipeline's folder; a
 * URI is apptainer's to fetch. The binary is apptainer_cmd, else whichever of
 * apptainer and singularity is on PATH here, as b2luigi picks it.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { makeFolders, writing } from '../util/files.js';
import { resolveFromPipeline } from '../pipeline/context.js';
import { getSetting } from '../settings/index.js';
import { findCommand } from './preflight.js';
import { defaultMounts, isImageUri, type ContainerSpec } from '../wrapper/apptainer.js';

export const usesContainer = (task: object): boolean => getSetting<string>('apptainer_image', { task }) !== '';

const apptainerBinary = (task: object): string => {
  const configured = getSetting<string>('apptainer_cmd', { task });
  if (configured !== '') return configured;
  const found = ['apptainer', 'singularity'].find((name) => findCommand(name) !== undefined);
  if (found !== undefined) return found;
  throw new UserError('missing-apptainer', 'apptainer_image is set, but neither apptainer nor singularity is on PATH.', {
    hint: 'Add the folder of apptainer to PATH, or name the binary the jobs should use in apptainer_cmd (e.g. "/usr/bin/apptainer").',
  });
};

/**
 * @param workingDir where the job runs (undefined: a sandbox of the batch system's)
 * @param runDir the run folder, which the job reads its task from
 */
export const containerFor = (task: object, workingDir: string | undefined, runDir: string): ContainerSpec | undefined => {
  const found = containerWithFolders(task, workingDir, runDir);
  return found?.container;
};

/** The container, and the folders of its default mounts, which must exist before the job starts (apptainer refuses to bind a missing source). */
export const containerWithFolders = (
  task: object,
  workingDir: string | undefined,
  runDir: string,
): { container: ContainerSpec; folders: readonly string[] } | undefined => {
  const image = getSetting<string>('apptainer_image', { task });
  if (image === '') return undefined;
  const mounts = getSetting<string[]>('apptainer_mounts', { task });
  const defaults = getSetting<boolean>('apptainer_mount_defaults', { task })
    ? defaultMounts(
        [
          { setting: 'result_dir', dir: resolveFromPipeline(getSetting<string>('result_dir', { task })) },
          { setting: 'log_dir', dir: resolveFromPipeline(getSetting<string>('log_dir', { task })) },
          { setting: 'state_dir', dir: path.dirname(runDir) },
        ],
        workingDir,
      )
    : [];
  const container = {
    command: apptainerBinary(task),
    image: isImageUri(image) ? image : resolveFromPipeline(image),
    additionalParams: getSetting<string[]>('apptainer_additional_params', { task }),
    // As b2luigi: the user's mounts, then the defaults.
    binds: [...mounts, ...defaults],
  };
  return { container, folders: defaults };
};

/** b2luigi creates the folders its default mounts bind: apptainer refuses a missing bind source. */
export const createContainerMountFolders = (task: object, workingDir: string | undefined, runDir: string): void => {
  for (const folder of containerWithFolders(task, workingDir, runDir)?.folders ?? []) {
    writing('a folder bound into the container', folder, () => makeFolders(folder));
  }
};
