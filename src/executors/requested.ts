/** What a task asks for (settings cpus or job_slots, memory, walltime): what its use is measured against. */
import type { Task } from '../pipeline/task.js';
import type { RequestedResources } from '../run/resources.js';
import { getSetting } from '../settings/index.js';

export const requestedResources = (task: Task): RequestedResources => {
  const optional = (key: string): number | undefined => getSetting<number | undefined>(key, { task, default: undefined });
  const cpus = optional('cpus') ?? optional('job_slots');
  const memoryMb = optional('memory');
  const walltimeSeconds = optional('walltime');
  return {
    ...(cpus === undefined ? {} : { cpus }),
    ...(memoryMb === undefined ? {} : { memoryMb }),
    ...(walltimeSeconds === undefined ? {} : { walltimeSeconds }),
  };
};
