/**
 * `b2 status --serve`: the run page, live. It follows the journal (reading
 * only what was appended), pushes new page data to open pages as
 * Server-Sent Events, and never writes to the run or takes its lock. With
 * allowKill, a POST to /kill does what `b2 kill` does, if it carries the
 * token only the served page knows and comes from the page's own origin.
 */
import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ownFile } from '../util/own-root.js';
import { foldJournal } from '../journal/state.js';
import type { RunDir } from '../run/layout.js';
import { JournalFollower } from './journal-follower.js';
import { renderPage } from './page.js';
import type { PageData } from './page-model.js';
import { runPageData } from './run-page.js';

export interface ServeOptions {
  readonly run: RunDir;
  /** Without a run named: the run to show now (the latest), asked on every look at the journal. */
  readonly follow?: () => RunDir;
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly allowKill: boolean;
  /** How often to look at the journal, in milliseconds. */
  readonly pollMs?: number;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** While the runner is alive, the page is refreshed this often even without new entries (times of running tasks grow). */
const QUIET_REFRESH_MS = 5000;

const B2_BIN = ownFile('bin', 'b2.js');

const sameToken = (given: string | undefined, token: string): boolean => {
  if (given === undefined) return false;
  // Compared as bytes: a header of as many characters may hold more bytes, which timingSafeEqual refuses to compare.
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/** This host's addresses: what a page reached from another machine has as its Host. */
const localAddresses = (): string[] => Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));

const hostOf = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

export const startServer = async (options: ServeOptions): Promise<RunningServer> => {
  const token = randomBytes(24).toString('hex');
  let run = options.run;
  let follower = new JournalFollower(run.journal);
  const clients = new Set<ServerResponse>();
  let data: PageData | undefined;
  let json = '';
  let refreshedAt = 0;
  let refreshing = false;

  let costMs = 0;
  const refresh = async (force = false): Promise<void> => {
    if (refreshing) return;
    // A big run costs more to fold and send: its pages are updated less often, never more than a quarter of the time.
    if (!force && Date.now() - refreshedAt < 4 * costMs) return;
    refreshing = true;
    try {
      const newest = options.follow?.();
      if (newest && newest.runId !== run.runId) {
        // A newer run started: the page moves on to it.
        run = newest;
        follower = new JournalFollower(run.journal);
        force = true;
      }
      const grew = follower.poll();
      const alive = data?.runner.kind === 'alive';
      if (data && !grew && !force && !(alive && Date.now() - refreshedAt >= QUIET_REFRESH_MS)) return;
      const began = Date.now();
      data = await runPageData(run, foldJournal(follower.entries));
      json = JSON.stringify(data);
      refreshedAt = Date.now();
      costMs = refreshedAt - began;
      for (const client of clients) client.write(`data: ${json}\n\n`);
    } finally {
      refreshing = false;
    }
  };
  await refresh(true);

  let allowedHosts: Set<string> = new Set();
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(`internal error: ${String(error)}\n`);
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // A page of another site may reach this port through a name that points here (DNS rebinding): refuse other Host names.
    if (!allowedHosts.has(request.headers.host ?? '')) return plain(response, 403, 'unknown host\n');
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' });
      response.end(renderPage(data!, options.allowKill ? { allowKill: true, token } : { allowKill: false }));
      return;
    }
    if (request.method === 'GET' && url.pathname === '/data.json') {
      response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(json);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      response.write(`retry: 2000\ndata: ${json}\n\n`);
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return;
    }
    if (url.pathname === '/kill') return kill(request, response);
    return plain(response, 404, 'not found\n');
  };

  const kill = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!options.allowKill) return plain(response, 403, 'this page is read-only: start b2 status --serve with --allow-kill to kill from it\n');
    if (request.method !== 'POST') return plain(response, 405, 'POST only\n');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return plain(response, 403, 'refused: another origin\n');
    if (!sameToken(request.headers['x-b2-token'] as string | undefined, token)) return plain(response, 403, 'refused: no valid token\n');
    const output = await runKill(run, options.stateDir);
    await refresh(true);
    return plain(response, output.code === 0 ? 200 : 500, output.text);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // Only once listening: a server that could not start must leave nothing running.
  const timer = setInterval(() => void refresh().catch(() => undefined), options.pollMs ?? 1000);
  const port = (server.address() as AddressInfo).port;
  const host = hostOf(options.host);
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `${os.hostname()}:${port}`]);
  if (!LOOPBACK.has(options.host)) for (const address of localAddresses()) allowedHosts.add(`${hostOf(address)}:${port}`);
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      clearInterval(timer);
      for (const client of clients) client.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A browser keeps idle connections open for reuse: Ctrl-C must not wait for it to let go.
      server.closeAllConnections();
      await closed;
    },
  };
};

const plain = (response: ServerResponse, status: number, text: string): void => {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(text);
};

/** `b2 kill` on this run, as its own process: the same code path, output and journal entries as from a terminal. */
const runKill = (run: RunDir, stateDir: string): Promise<{ code: number | null; text: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [B2_BIN, 'kill', run.runId, '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', (error) => resolve({ code: null, text: `could not start b2 kill: ${error.message}\n` }));
    child.on('close', (code) => resolve({ code, text }));
  });
