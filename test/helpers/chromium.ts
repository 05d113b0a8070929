/**
 * A real headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser is downloaded), a fresh profile per launch, and every console error, page error and
 * request recorded so a test can say the page is clean and fetched nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** The browser the tests drive (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags: headless, no sandbox (root in CI), and nothing that talks to the network on its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why Chromium cannot be driven here, or null when it can. */
export async function chromiumMissing(): Promise<string | null> {
  if (!existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} not found (apt-get install chromium)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci)';
  }
  return null;
}

/** A page with what it logged and requested. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  consoleErrors: string[];
  pageErrors: string[];
  /** Every request URL the page made, the document's own included. */
  requests: string[];
  close(): Promise<void>;
}

/** Opens `file` in a fresh headless Chromium profile. */
export async function openInChromium(file: string, options: { javaScript?: boolean; width?: number; height?: number } = {}): Promise<WatchedPage> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'whyreset-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: options.width ?? 1300, height: options.height ?? 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const watched: WatchedPage = {
    page,
    context,
    consoleErrors: [],
    pageErrors: [],
    requests: [],
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watched.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => watched.pageErrors.push(err.message));
  context.on('request', (r) => watched.requests.push(r.url()));
  try {
    await page.goto(`file://${file}`, { waitUntil: 'load' });
  } catch (err) {
    await watched.close();
    throw err;
  }
  return watched;
}
