/**
 * Debian's Chromium, headless, driven by playwright-core: the browser the
 * page tests and the screenshot script use. Each launch gets a fresh
 * profile and no network of its own (no background fetches, no updates).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.B2_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  /** The browser with its fresh profile (Playwright's persistent context: the way to give Chromium its own profile folder). */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export const launchBrowser = async (): Promise<LaunchedBrowser> => {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'b2-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};

/** The value `read` gives once `holds` accepts it (or, after `timeoutMs`, the last one, for the test's own expect to show). */
export const eventually = async <T>(read: () => Promise<T>, holds: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!holds(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
};
