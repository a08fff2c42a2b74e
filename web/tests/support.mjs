// Helpers for the browser tests: Debian's Chromium driven by playwright-core, the local stack's
// endpoints from the environment, and a screenshot + console log kept when a test fails.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = resolve(REPO, process.env.BROWSER_ARTIFACTS ?? 'target/browser');

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through scripts/browser-test.sh (or source .local/stack.env)`);
  return value;
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // playwright-core adds --no-sandbox (needed as root) and a fresh, temporary user-data-dir.
    // Without the background-networking flags Chromium keeps calling Google's hosts, which this
    // machine's closed network refuses.
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Runs `body(page, consoleLines)` in a fresh browser context (its own storage). On failure the
 * page's screenshot and console go to target/browser/<test name>.{png,log}.
 */
export async function inPage(browser, t, body, { clock = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
  if (clock) await page.clock.install();
  try {
    await body(page, consoleLines);
  } catch (error) {
    const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true }).catch(() => {});
    writeFileSync(`${ARTIFACTS}/${name}.log`, `${consoleLines.join('\n')}\n`);
    t.diagnostic(`screenshot and console log: ${ARTIFACTS}/${name}.{png,log}`);
    throw error;
  } finally {
    await context.close();
  }
}

/** Waits until `locator` shows `text` (a string or a RegExp). */
export async function sees(locator, text, timeout = 20_000) {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout });
}

/** What the app keeps in Web Storage: every key of sessionStorage and localStorage. */
export function storedKeys(page) {
  return page.evaluate(() => ({ session: Object.keys(sessionStorage), local: Object.keys(localStorage) }));
}

/** A Cognito API call from Node, as the browser library makes it (JSON over HTTP POST). */
export async function cognito(action, body) {
  const response = await fetch(env('COGNITO_ENDPOINT'), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
