// Entry point shared by every simulated command in ../bin: find the state
// folder, log the call, load the faults, run the command and exit with its
// status. Only the module for the command being run is imported.
import { Exit, logCall, stateDir, writeAll } from './common.mjs';
import { loadFaults } from './faults.mjs';

const COMMANDS = {
  condor_submit: './condor-submit.mjs',
  condor_q: './condor-query.mjs',
  condor_history: './condor-query.mjs',
  condor_rm: './condor-rm.mjs',
  bsub: './lsf-bsub.mjs',
  bjobs: './lsf-bjobs.mjs',
  bkill: './lsf-bkill.mjs',
  bparams: './lsf-bparams.mjs',
};

/**
 * Each command module exports main(ctx) with ctx = { cmd, argv, dir, faults,
 * out(text), err(text) }; it returns an exit status or throws Exit.
 */
export async function run(cmd) {
  const argv = process.argv.slice(2);
  let status;
  try {
    const dir = stateDir(cmd);
    logCall(dir, cmd, argv);
    const faults = loadFaults(dir);
    const mod = await import(COMMANDS[cmd]);
    status = mod.main({ cmd, argv, dir, faults, out: (t) => writeAll(1, t), err: (t) => writeAll(2, t) }) ?? 0;
  } catch (e) {
    if (e instanceof Exit) {
      if (e.stdout) writeAll(1, e.stdout);
      if (e.stderr) writeAll(2, e.stderr);
      status = e.status;
    } else {
      writeAll(2, `${cmd} (b2 batch simulator) internal error: ${e?.stack ?? e}\n`);
      status = 70;
    }
  }
  process.exit(status);
}
