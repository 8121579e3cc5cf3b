/**
 * What each batch command costs the scheduler: its kind (a submission, a
 * status query, a history lookup, a removal, a probe of the site's limits),
 * and a tally per command name for the run. The tally is what the run
 * reports at its end ("scheduler calls: 3 sbatch, 12 squeue ...") and
 * journals for `b2 status --json`.
 */
import path from 'node:path';

export type CommandKind = 'submit' | 'query' | 'history' | 'kill' | 'probe';

const TOOL_KINDS: Readonly<Record<string, CommandKind>> = {
  sbatch: 'submit',
  qsub: 'submit',
  bsub: 'submit',
  condor_submit: 'submit',
  squeue: 'query',
  qstat: 'query',
  bjobs: 'query',
  condor_q: 'query',
  sacct: 'history',
  qacct: 'history',
  bhist: 'history',
  condor_history: 'history',
  scancel: 'kill',
  qdel: 'kill',
  bkill: 'kill',
  condor_rm: 'kill',
  sinfo: 'probe',
  qconf: 'probe',
  bparams: 'probe',
  condor_status: 'probe',
  condor_config_val: 'probe',
};

/**
 * The batch tool an argv runs and its kind. A site wrapper (`batch_commands`,
 * e.g. ["ssh", "login", "sbatch"]) puts the tool further in, so the first
 * word naming a known tool wins; `scontrol show job` is a query, any other
 * scontrol call a probe. Unknown commands are probes under their own name.
 */
export const commandKind = (argv: readonly string[]): { readonly tool: string; readonly kind: CommandKind } => {
  for (let i = 0; i < argv.length; i++) {
    const tool = path.basename(argv[i] ?? '');
    if (tool === 'scontrol') return { tool, kind: argv.slice(i + 1).includes('job') ? 'query' : 'probe' };
    const kind = TOOL_KINDS[tool];
    if (kind !== undefined) return { tool, kind };
  }
  return { tool: path.basename(argv[0] ?? '?'), kind: 'probe' };
};

/** Calls per command name, in the order first used. */
export type CallTally = Readonly<Record<string, number>>;

export class CallCounter {
  private readonly counts = new Map<string, number>();

  count(tool: string): void {
    this.counts.set(tool, (this.counts.get(tool) ?? 0) + 1);
  }

  tally(): CallTally {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
  }
}

export const totalCalls = (tally: CallTally): number => Object.values(tally).reduce((sum, n) => sum + n, 0);
