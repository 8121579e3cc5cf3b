/**
 * What no job of a task could run without, checked on the submitting side
 * before anything is submitted: the submit command itself, the env_script
 * every job sources, and a command to run. Each missing one would otherwise
 * fail every job of the run on its own, after the farm has queued them.
 * Only the file system is looked at, except where several systems call
 * their submit binary their own (qsub): then that system's probe tells whose
 * it is, once per run.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { BatchAdapter, JobSpec } from '../systems/contract.js';
import { batchSystem, claimedByOther, type BatchSystemName } from '../systems/registry.js';
import { explainSetting, getSetting } from '../settings/index.js';
import { binaryLookup } from './client.js';
import { runCommandSync } from './run-command.js';
import { isImageUri, type ContainerSpec } from '../wrapper/apptainer.js';

const isExecutableFile = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The file a command name runs (as execa finds it: a name with a slash as a path, else on PATH), or undefined. */
export const findCommand = (name: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined => {
  if (name.includes('/')) return isExecutableFile(name) ? path.resolve(name) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutableFile(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
};

/** The submit command's binary must exist: named in batch_commands, or on PATH. */
const checkSubmitBinary = (task: object, adapter: BatchAdapter, spec: JobSpec): void => {
  const binary = adapter.submitCommand(spec, (name) => [name]).argv[0]!;
  const runs = binaryLookup(task)(binary)[0]!;
  if (findCommand(runs) !== undefined) {
    checkBinaryIsTheSystems(task, adapter.name as BatchSystemName, binary);
    return;
  }
  if (runs !== binary) {
    throw new UserError('missing-submit-command', `batch_commands gives ${JSON.stringify(runs)} for ${binary}, which is not an executable file${runs.includes('/') ? '' : ' on PATH'}.`, {
      hint: `Fix batch_commands.${binary} (from ${explainSetting('batch_commands', task).source}) to name the site's ${binary}.`,
    });
  }
  throw new UserError('missing-submit-command', `its submit command ${binary} is not on PATH.`, {
    hint: `Run on a submit host of ${adapter.name}, add the folder of ${binary} to PATH, or name it in batch_commands (e.g. --setting 'batch_commands={"${binary}": "/path/to/${binary}"}').`,
  });
};

// Whose the shared submit binary is, per system named: asked once per run.
const owners = new Map<BatchSystemName, BatchSystemName | undefined>();

/** A qsub that Grid Engine's probe recognises is no PBS qsub, and the other way round: its jobs would be misread. */
const checkBinaryIsTheSystems = (task: object, name: BatchSystemName, binary: string): void => {
  if (!owners.has(name)) owners.set(name, claimedByOther(name, (command) => runCommandSync(command(binaryLookup(task)), 10_000).stdout));
  const owner = owners.get(name);
  if (owner === undefined) return;
  throw new UserError('wrong-batch-system', `batch_system is ${name}, but the ${binary} found here is ${batchSystem(owner).detection.described}.`, {
    hint: `Set batch_system to ${owner} (or auto), or name ${name}'s own ${binary} in batch_commands.`,
  });
};

/** Every job sources env_script: it must be a readable file here, where the jobs are submitted from (and HTCondor transfers it). */
const checkEnvScript = (task: object, spec: JobSpec): void => {
  const script = spec.envScript;
  if (script === undefined) return;
  let problem: string | undefined;
  try {
    if (!statSync(script).isFile()) problem = 'is not a file';
    else accessSync(script, constants.R_OK);
  } catch (error) {
    problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
  }
  if (problem === undefined) return;
  const given = explainSetting('env_script', task);
  throw new UserError('bad-env-script', `env_script ${JSON.stringify(given.value)} (from ${given.source}) is ${script}, which ${problem}.`, {
    hint: 'Point env_script at the script the jobs should source (relative paths are from the pipeline\'s folder), or set it to "" for none.',
  });
};

/** The job runs executable_prefix + executable + `worker ...`: without an executable there is nothing to run. */
const checkExecutable = (task: object): void => {
  const executable = getSetting<string[]>('executable', { task });
  if (executable.length > 0 && executable[0] !== '') return;
  const given = explainSetting('executable', task);
  throw new UserError('bad-executable', `executable is ${JSON.stringify(executable)} (from ${given.source}): the jobs would have no command that runs the task.`, {
    hint: 'Remove the setting for the default (this node and b2), or give the command as a list, e.g. ["/usr/bin/node", "/opt/b2/bin/b2.js"].',
  });
};

/** Throws a UserError (without the task's name: the caller adds it) for the first thing this task's jobs would lack. */
export const preflightJob = (task: object, adapter: BatchAdapter, spec: JobSpec): void => {
  checkExecutable(task);
  checkEnvScript(task, spec);
  checkSubmitBinary(task, adapter, spec);
};

/**
 * The image every job of the task runs in: a local image (a .sif file, or a
 * sandbox folder) must be readable here, where the jobs are prepared; a URI is
 * apptainer's to fetch, and is taken as it is.
 */
export const preflightContainer = (task: object, container: ContainerSpec | undefined): void => {
  if (container === undefined || isImageUri(container.image)) return;
  let problem: string | undefined;
  try {
    const stats = statSync(container.image);
    if (!stats.isFile() && !stats.isDirectory()) problem = 'is neither an image file nor a sandbox folder';
    else accessSync(container.image, constants.R_OK);
  } catch (error) {
    problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
  }
  if (problem === undefined) return;
  const given = explainSetting('apptainer_image', task);
  throw new UserError('bad-apptainer-image', `apptainer_image ${JSON.stringify(given.value)} (from ${given.source}) is ${container.image}, which ${problem}.`, {
    hint: "Point apptainer_image at a .sif file or sandbox folder (relative paths are from the pipeline's folder), or give a URI such as docker://python:3.12 or oras://...; \"\" runs without a container.",
  });
};
