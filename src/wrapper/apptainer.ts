/**
 * Tasks in an Apptainer (or Singularity) container, as b2luigi runs them:
 * setting apptainer_image makes the job's command
 *
 *   <apptainer_cmd> exec <apptainer_additional_params...> [--bind <mount>]... <image> \
 *       /bin/bash -c '<source env_script; export env entries; exec "$@">' b2-job <command...>
 *
 * where <command> is executable_prefix + executable + `worker ...`. Outside
 * the container the job wrapper only changes to working_dir, keeps the exit
 * status and passes signals on; inside it the env script is sourced and the
 * env entries exported, in that order, as without a container, so neither
 * depends on what the image or --cleanenv does with the host's environment.
 * Without env_script and env, the command runs directly (`<image> <command...>`),
 * so an image without bash serves too.
 *
 * Every value is its own argv element; the inner script is quoted for the
 * bash inside, the whole line again for the wrapper.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { shellQuote } from './quote.js';

export interface ContainerSpec {
  /** The apptainer (or singularity) binary: apptainer_cmd, else the one found on PATH. */
  readonly command: string;
  /** Absolute path, or a URI (docker://, oras://, library://, ...). */
  readonly image: string;
  readonly additionalParams: readonly string[];
  /** Each one `--bind` argument: src[:dst[:opts]]. */
  readonly binds: readonly string[];
}

/** What runs inside: the env script, the env entries' export lines, the command. */
export interface ContainerPayload {
  readonly envScript: string;
  /** `export NAME=value` lines, already quoted. */
  readonly exports: string;
  readonly command: readonly string[];
}

// Apptainer's own schemes: the image is fetched (and cached) by apptainer, not a file here.
const IMAGE_URI = /^(docker|docker-archive|docker-daemon|oci|oci-archive|oras|library|shub|https?|instance|ipfs):\/\//;

export const isImageUri = (image: string): boolean => IMAGE_URI.test(image);

/** The shell inside the image: absolute, as b2luigi has it, so the image's PATH does not matter. */
export const CONTAINER_SHELL = '/bin/bash';

/** argv[0] of the inner script, what `$0` and error messages of bash inside show. */
const INNER_NAME = 'b2-job';

const innerScript = (payload: ContainerPayload): string => {
  const lines: string[] = [];
  if (payload.envScript !== '') {
    const script = shellQuote(payload.envScript);
    lines.push(
      `printf 'b2: sourcing the env script %s in the container\\n' ${script}`,
      `source ${script} || { _b2_status=$?; printf 'b2: the env script %s failed with status %s\\n' ${script} "$_b2_status" >&2; exit "$_b2_status"; }`,
    );
  }
  if (payload.exports !== '') lines.push(payload.exports);
  lines.push('exec "$@"');
  return lines.join('\n');
};

/** The argv that runs `payload.command` in the container. */
export const containerArgv = (container: ContainerSpec, payload: ContainerPayload): string[] => {
  const head = [container.command, 'exec', ...container.additionalParams, ...container.binds.flatMap((bind) => ['--bind', bind]), container.image];
  if (payload.envScript === '' && payload.exports === '') return [...head, ...payload.command];
  return [...head, CONTAINER_SHELL, '-c', innerScript(payload), INNER_NAME, ...payload.command];
};

const isUnder = (dir: string, parent: string): boolean => {
  const relative = path.relative(parent, dir);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * The folders a job writes to or reads b2's files from, bound when they are
 * not under its working directory (which apptainer binds itself): b2luigi's
 * result_dir and log_dir, and the run folder the job reads its task from.
 * Apptainer's --bind splits at "," and ":", so a folder with one cannot be
 * said: bad input, naming the folder and the setting.
 */
export const defaultMounts = (folders: readonly { readonly setting: string; readonly dir: string }[], workingDir: string | undefined): string[] => {
  const binds: string[] = [];
  for (const { setting, dir } of folders) {
    if (workingDir !== undefined && isUnder(dir, workingDir)) continue;
    if (binds.some((bind) => isUnder(dir, bind))) continue;
    if (/[,:]/.test(dir)) {
      throw new UserError('bad-apptainer-mount', `${setting} ${dir} cannot be bound into the container: apptainer's --bind takes "," and ":" as separators.`, {
        hint: `Choose a ${setting} without "," or ":", or set apptainer_mount_defaults to false and bind it yourself in apptainer_mounts (src:dst).`,
      });
    }
    binds.push(dir);
  }
  return binds;
};
