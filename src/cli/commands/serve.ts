/** `b2 status --serve`: the run page on a local port until Ctrl-C. */
import os from 'node:os';
import { UserError } from '../../errors.js';
import { runDirAt } from '../../journal/run-dir.js';
import { EXIT } from '../options.js';

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export interface ServeFlags {
  readonly serve?: boolean;
  readonly port?: number;
  readonly host?: string;
  readonly allowKill?: boolean;
}

export const servePort = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError('bad-option', `--port needs a port number from 0 to 65535, got "${value}".`, { hint: '0 (the default) takes a free port.' });
  }
  return port;
};

/**
 * latest: when no run was named, the newest run now (of the same selection),
 * which the page follows as new runs start.
 */
export const serveRun = async (stateDir: string, runId: string, flags: ServeFlags, latest?: () => string): Promise<number> => {
  const { startServer } = await import('../../views/server.js');
  const host = flags.host ?? '127.0.0.1';
  const follow = latest && (() => runDirAt(stateDir, latest()));
  const server = await startServer({ run: runDirAt(stateDir, runId), ...(follow ? { follow } : {}), stateDir, host, port: flags.port ?? 0, allowKill: flags.allowKill === true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        throw new UserError('serve-failed', `Cannot listen on ${host} port ${flags.port ?? 0}: ${error.code}.`, {
          hint: error.code === 'EADDRINUSE' ? 'Another program uses that port: give another with --port, or --port 0 for a free one.' : 'Give --host an address of this machine, e.g. 127.0.0.1.',
        });
      }
      throw error;
    },
  );
  if (!LOOPBACK.includes(host)) {
    process.stderr.write(`warning: listening on ${host}: whoever can reach this machine on that port sees the run${flags.allowKill ? ' and can kill it with the token in the page' : ''}\n`);
  }
  const which = latest ? `the latest run (now ${runId}, following newer ones)` : `run ${runId}`;
  process.stdout.write(`serving ${which} at ${server.url}${flags.allowKill ? ' (with a kill button)' : ' (read-only)'}; Ctrl-C stops\n`);
  const port = new URL(server.url).port;
  if (LOOPBACK.includes(host)) process.stdout.write(`from another machine: ssh -L ${port}:127.0.0.1:${port} ${os.hostname()}, then open http://127.0.0.1:${port}/ there\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT.ok;
};
