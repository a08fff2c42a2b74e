// The single-page app in headless Chromium, against the real local stack (the Cognito emulator,
// cargo lambda watch, the local API gateway) and the Vite server: found by labels and roles, as
// a person finds things. Run by scripts/browser-test.sh (make browser-test).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { cognito, env, inPage, launch, REPO, sees, storedKeys } from './support.mjs';

const PASSWORD = 'Local-only-Passw0rd!'; // the local stack's user-a; emulator only
const WEB_URL = env('WEB_URL');
const TIMEOUT = { timeout: 90_000 };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const field = (page, label) => page.getByLabel(label, { exact: true });
const button = (page, name) => page.getByRole('button', { name, exact: true });
const responseRegion = (page) => page.getByRole('region', { name: 'Response' });
const session = (page) => page.getByRole('region', { name: 'Session' });

async function signIn(page, username, password, url = WEB_URL) {
  await page.goto(url);
  await field(page, 'Username').fill(username);
  await field(page, 'Password').fill(password);
  await button(page, 'Sign in').click();
}

async function signedIn(page, username) {
  await sees(session(page), `Signed in as ${username}`);
  await button(page, 'Sign out').waitFor();
}

async function call(page, api) {
  // The click handler marks the page busy before it awaits anything; it is done when not busy.
  await button(page, `Call ${api}`).click();
  await page.waitForFunction(() => document.body.getAttribute('aria-busy') === 'false', null, { timeout: 30_000 });
  return responseRegion(page).textContent();
}

const cognitoKeys = (keys) => [...keys.session, ...keys.local].filter((key) => key.startsWith('CognitoIdentityServiceProvider.'));

test('user-a signs in with SRP and the HTTP API greets them', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page, consoleLines) => {
    await signIn(page, 'user-a', PASSWORD);
    await signedIn(page, 'user-a');
    const text = await call(page, 'HTTP API');
    assert.match(text, /HTTP API GET \S+\/hello: 200/);
    assert.match(text, /"message": "Hello, user-a!"/);
    assert.match(text, /"token_use": "id"/);
    // The session lives in this tab's sessionStorage, never in localStorage.
    const keys = await storedKeys(page);
    assert.ok(keys.session.some((key) => key.endsWith('.user-a.idToken')), `${keys.session}`);
    assert.deepEqual(keys.local, []);
    if (process.env.SCREENSHOT_TO) {
      await page.screenshot({ path: resolve(REPO, process.env.SCREENSHOT_TO) });
    }
    assert.ok(!consoleLines.join('\n').includes(PASSWORD), 'the password appears in the console');
  });
});

test(
  'the REST API greets the same user',
  { ...TIMEOUT, skip: !process.env.REST_API_URL && 'REST_API_URL is not set: this local stack has no REST API' },
  async (t) => {
    await inPage(browser, t, async (page) => {
      await signIn(page, 'user-a', PASSWORD);
      await signedIn(page, 'user-a');
      const text = await call(page, 'REST API');
      assert.match(text, /REST API GET \S+\/hello: 200/);
      assert.match(text, /"message": "Hello, user-a!"/);
    });
  },
);

test('a user created with the aws CLI during the test signs in', TIMEOUT, async (t) => {
  const username = `browser-${randomBytes(4).toString('hex')}`;
  const password = `Br0wser-${randomBytes(6).toString('hex')}!`;
  const aws = (...args) =>
    execFileSync(resolve(REPO, '.tools/aws/bin/aws'), ['--endpoint-url', env('COGNITO_ENDPOINT'), 'cognito-idp', ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: env('REGION') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const pool = ['--user-pool-id', env('USER_POOL_ID'), '--username', username];
  aws('admin-create-user', ...pool, '--user-attributes', `Name=email,Value=${username}@example.com`,
    'Name=email_verified,Value=true', '--message-action', 'SUPPRESS');
  aws('admin-set-user-password', ...pool, '--password', password, '--permanent');

  await inPage(browser, t, async (page) => {
    await signIn(page, username, password);
    await signedIn(page, username);
    const text = await call(page, 'HTTP API');
    assert.match(text, /: 200/);
    assert.ok(text.includes(`"message": "Hello, ${username}!"`), text);
  });
});

for (const [what, username] of [
  ['a wrong password', 'user-a'],
  ['an unknown user', `nobody-${randomBytes(4).toString('hex')}`],
]) {
  test(`${what} is refused in words and stores no token`, TIMEOUT, async (t) => {
    await inPage(browser, t, async (page) => {
      await signIn(page, username, 'Wrong-Passw0rd-1!');
      await sees(page.getByRole('alert'), 'Sign-in failed: Incorrect username or password.');
      await field(page, 'Username').waitFor(); // the form stays
      assert.equal(await session(page).isVisible(), false);
      assert.deepEqual(cognitoKeys(await storedKeys(page)), []);
    });
  });
}

test('sign-out revokes the session: the form is back and calls get 401', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page) => {
    await signIn(page, 'user-a', PASSWORD);
    await signedIn(page, 'user-a');
    assert.match(await call(page, 'HTTP API'), /: 200/);
    const refreshToken = await page.evaluate(() =>
      Object.entries(sessionStorage).find(([key]) => key.endsWith('.refreshToken'))?.[1],
    );
    assert.ok(refreshToken, 'a refresh token is stored while signed in');
    const refresh = () =>
      cognito('InitiateAuth', {
        ClientId: env('USER_POOL_CLIENT_ID'),
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
    assert.equal((await refresh()).status, 200);

    await button(page, 'Sign out').click();
    await field(page, 'Username').waitFor();
    await button(page, 'Sign in').waitFor();
    await sees(page.getByRole('status'), 'Signed out: the session is revoked.');
    assert.deepEqual(cognitoKeys(await storedKeys(page)), []);
    const refused = await refresh();
    assert.equal(refused.status, 400);
    assert.equal(refused.body.__type, 'NotAuthorizedException');

    const text = await call(page, 'HTTP API');
    assert.match(text, /HTTP API GET \S+\/hello: 401/);
    assert.match(text, /"message": "Unauthorized"/);
    assert.match(text, /sent without a token: you are signed out/);
  });
});

test('an expired session is refreshed before a call', TIMEOUT, async (t) => {
  await inPage(
    browser,
    t,
    async (page) => {
      await signIn(page, 'user-a', PASSWORD);
      await signedIn(page, 'user-a');
      const idToken = () =>
        page.evaluate(() => Object.entries(sessionStorage).find(([key]) => key.endsWith('.idToken'))?.[1]);
      const first = await idToken();
      // The ID token lives 60 minutes: 61 minutes later the library must use the refresh token.
      await page.clock.fastForward(61 * 60_000);
      const text = await call(page, 'HTTP API');
      assert.match(text, /: 200/);
      const second = await idToken();
      assert.ok(second && second !== first, 'the ID token was renewed');
    },
    { clock: true },
  );
});

test('a page on an origin the API does not allow is refused by the browser', TIMEOUT, async (t) => {
  // Same app, same port, but http://127.0.0.1 is another origin than http://localhost.
  const otherOrigin = WEB_URL.replace('//localhost', '//127.0.0.1');
  assert.notEqual(otherOrigin, WEB_URL);
  await inPage(browser, t, async (page, consoleLines) => {
    await signIn(page, 'user-a', PASSWORD, otherOrigin); // Cognito (moto) allows any origin
    await signedIn(page, 'user-a');
    const text = await call(page, 'HTTP API');
    assert.match(text, /HTTP API GET \S+\/hello: no response/);
    assert.match(text, /could not be reached, or the browser refused its answer \(CORS\)/);
    assert.ok(text.includes(new URL(otherOrigin).origin), text);
    assert.ok(
      consoleLines.some((line) => line.includes('blocked by CORS policy')),
      `Chromium reported no CORS refusal:\n${consoleLines.join('\n')}`,
    );
  });
});
