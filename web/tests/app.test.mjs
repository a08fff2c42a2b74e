// The single-page app in headless Chromium, against the real local stack (the Cognito emulator
// with its managed login pages, cargo lambda watch, the local API gateway) and the Vite server:
// found by labels and roles, as a person finds things. Run by scripts/browser-test.sh
// (make browser-test).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { cognito, env, inPage, launch, REPO, sees, storedKeys } from './support.mjs';

const PASSWORD = 'Local-only-Passw0rd!'; // the local stack's user-a; emulator only
const WEB_URL = env('WEB_URL');
const APP_ORIGIN = new URL(WEB_URL).origin;
const DOMAIN = env('COGNITO_DOMAIN_URL'); // the emulator's origin: the local user pool domain
const CLIENT_ID = env('USER_POOL_CLIENT_ID');
// Where oidc-client-ts keeps the user (tokens) in sessionStorage: oidc.user:<authority>:<client id>.
const USER_KEY = `oidc.user:${env('COGNITO_ENDPOINT')}/${env('USER_POOL_ID')}:${CLIENT_ID}`;
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
const onLoginPage = (page) => page.waitForURL((url) => url.origin === new URL(DOMAIN).origin && url.pathname === '/login');
const inTheApp = (page, origin = APP_ORIGIN) => page.waitForURL((url) => url.origin === origin);

/** From the app to the login page: what the app's Sign in button does. */
async function toLoginPage(page, url = WEB_URL) {
  await page.goto(url);
  await button(page, 'Sign in').click();
  await onLoginPage(page);
  await field(page, 'Username').waitFor();
}

async function submitLogin(page, username, password) {
  await field(page, 'Username').fill(username);
  await field(page, 'Password').fill(password);
  await button(page, 'Sign in').click();
}

async function signIn(page, username, password) {
  await toLoginPage(page);
  await submitLogin(page, username, password);
  await inTheApp(page);
  await signedIn(page, username);
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

const storedUser = (page) => page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? 'null'), USER_KEY);

/** Requests the page makes, as "METHOD url" (+ the grant type of token requests), never their tokens. */
function recordRequests(page) {
  const seen = [];
  page.on('request', (request) => {
    const grant = request.method() === 'POST' && request.url().endsWith('/oauth2/token')
      ? ` ${new URLSearchParams(request.postData() ?? '').get('grant_type')}`
      : '';
    seen.push(`${request.method()} ${request.url()}${grant}`);
  });
  return seen;
}

test('user-a signs in on the login page and is back in the app, signed in', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page, consoleLines) => {
    await toLoginPage(page);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    if (process.env.LOGIN_SCREENSHOT_TO) {
      await field(page, 'Username').fill('user-a');
      await page.screenshot({ path: resolve(REPO, process.env.LOGIN_SCREENSHOT_TO) });
    }
    await submitLogin(page, 'user-a', PASSWORD);
    await inTheApp(page);
    await signedIn(page, 'user-a');
    await sees(page.getByRole('status'), 'Signed in as user-a.');
    // The code and state left the address bar.
    assert.equal(new URL(page.url()).search, '');
    // The tokens live in this tab's sessionStorage, nothing in localStorage.
    const user = await storedUser(page);
    assert.ok(user?.id_token && user.refresh_token, 'tokens are stored');
    assert.equal(user.profile['cognito:username'], 'user-a');
    assert.deepEqual((await storedKeys(page)).local, []);
    assert.ok(!consoleLines.join('\n').includes(PASSWORD), 'the password appears in the console');
  });
});

test('both APIs greet the signed-in user with the ID token', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page) => {
    await signIn(page, 'user-a', PASSWORD);
    const http = await call(page, 'HTTP API');
    assert.match(http, /HTTP API GET \S+\/hello: 200/);
    assert.match(http, /"message": "Hello, user-a!"/);
    assert.match(http, /"token_use": "id"/);
    if (process.env.SCREENSHOT_TO) {
      await page.screenshot({ path: resolve(REPO, process.env.SCREENSHOT_TO) });
    }
    const rest = await call(page, 'REST API');
    assert.match(rest, /REST API GET \S+\/hello: 200/);
    assert.match(rest, /"message": "Hello, user-a!"/);
  });
});

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
    const text = await call(page, 'HTTP API');
    assert.match(text, /: 200/);
    assert.ok(text.includes(`"message": "Hello, ${username}!"`), text);
  });
});

for (const [what, username] of [
  ['a wrong password', 'user-a'],
  ['an unknown user', `nobody-${randomBytes(4).toString('hex')}`],
]) {
  test(`${what} shows the error on the login page and signs nobody in`, TIMEOUT, async (t) => {
    await inPage(browser, t, async (page) => {
      await toLoginPage(page);
      await submitLogin(page, username, 'Wrong-Passw0rd-1!');
      await sees(page.getByRole('alert'), 'Incorrect username or password.');
      assert.equal(new URL(page.url()).origin, new URL(DOMAIN).origin, 'still on the login page');
      await field(page, 'Password').waitFor(); // the form stays
      await page.goto(WEB_URL);
      await button(page, 'Sign in').waitFor();
      assert.equal(await storedUser(page), null);
    });
  });
}

test('a second sign-in within the session skips the form', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page) => {
    await signIn(page, 'user-a', PASSWORD);
    // Another tab: its own sessionStorage (signed out in the app), the same login session cookie.
    const tab = await page.context().newPage();
    const requests = recordRequests(tab);
    await tab.goto(WEB_URL);
    await button(tab, 'Sign in').click();
    await tab.waitForURL((url) => url.origin === APP_ORIGIN && url.search === '');
    await signedIn(tab, 'user-a');
    assert.ok(requests.some((r) => r.startsWith(`GET ${DOMAIN}/oauth2/authorize?`)), requests.join('\n'));
    assert.ok(!requests.some((r) => r.startsWith(`GET ${DOMAIN}/login`)), `the login page was shown:\n${requests.join('\n')}`);
  });
});

test('61 minutes later on the page clock, a call first refreshes the tokens', TIMEOUT, async (t) => {
  await inPage(
    browser,
    t,
    async (page) => {
      await signIn(page, 'user-a', PASSWORD);
      const first = (await storedUser(page)).id_token;
      const requests = recordRequests(page);
      // The tokens live 60 minutes: 61 minutes later the app must use the refresh token first.
      await page.clock.fastForward(61 * 60_000);
      const text = await call(page, 'HTTP API');
      assert.match(text, /: 200/);
      const refresh = requests.findIndex((r) => r === `POST ${DOMAIN}/oauth2/token refresh_token`);
      const hello = requests.findIndex((r) => r.startsWith('GET ') && r.includes('/hello'));
      assert.ok(refresh !== -1 && refresh < hello, `no refresh before the call:\n${requests.join('\n')}`);
      const second = await storedUser(page);
      assert.ok(second.id_token && second.id_token !== first, 'the ID token was renewed');
      await signedIn(page, 'user-a');
    },
    { clock: true },
  );
});

test('sign-out through /logout ends the session: calls get 401, the next sign-in shows the form', TIMEOUT, async (t) => {
  await inPage(browser, t, async (page) => {
    await signIn(page, 'user-a', PASSWORD);
    assert.match(await call(page, 'HTTP API'), /: 200/);
    const refreshToken = (await storedUser(page)).refresh_token;
    const requests = recordRequests(page);

    await button(page, 'Sign out').click();
    await sees(page.getByRole('status'), 'Signed out: the refresh token is revoked and the login session ended.');
    await button(page, 'Sign in').waitFor();
    // Cognito's logout request: client_id and logout_uri, nothing else (no token in the URL).
    const logout = requests.find((r) => r.startsWith(`GET ${DOMAIN}/logout?`));
    assert.ok(logout, requests.join('\n'));
    const params = new URL(logout.slice(4)).searchParams;
    assert.deepEqual([...params.keys()].sort(), ['client_id', 'logout_uri']);
    assert.equal(params.get('client_id'), CLIENT_ID);
    assert.equal(params.get('logout_uri'), APP_ORIGIN);
    assert.equal(await storedUser(page), null);
    assert.deepEqual((await storedKeys(page)).local, []);

    // The refresh token is revoked, for the API as for the token endpoint.
    const refused = await cognito('InitiateAuth', {
      ClientId: CLIENT_ID, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    assert.equal(refused.body.__type, 'NotAuthorizedException');

    const text = await call(page, 'HTTP API');
    assert.match(text, /HTTP API GET \S+\/hello: 401/);
    assert.match(text, /"message": "Unauthorized"/);
    assert.match(text, /sent without a token: you are signed out/);

    // The login session ended too: Sign in shows the form again.
    await button(page, 'Sign in').click();
    await onLoginPage(page);
    await field(page, 'Username').waitFor();
  });
});

test('a page on an origin the stack does not allow is refused: no sign-in, CORS blocks the APIs and Cognito', TIMEOUT, async (t) => {
  // Same app, same port, but http://127.0.0.1 is another origin than http://localhost.
  const otherOrigin = APP_ORIGIN.replace('//localhost', '//127.0.0.1');
  assert.notEqual(otherOrigin, APP_ORIGIN);
  await inPage(browser, t, async (page, consoleLines) => {
    // Its redirect_uri is no callback URL: Cognito's error page, never back to that page.
    await page.goto(otherOrigin);
    await button(page, 'Sign in').click();
    await page.waitForURL((url) => url.pathname === '/error');
    await sees(page.locator('body'), 'An error was encountered with the requested page.');

    // Signed in at the allowed origin, then the same tokens in the other origin's tab.
    await signIn(page, 'user-a', PASSWORD);
    const user = await page.evaluate((key) => sessionStorage.getItem(key), USER_KEY);
    await page.goto(otherOrigin);
    await page.evaluate(([key, value]) => sessionStorage.setItem(key, value), [USER_KEY, user]);
    await page.reload();
    await signedIn(page, 'user-a');
    const text = await call(page, 'HTTP API');
    assert.match(text, /HTTP API GET \S+\/hello: no response/);
    assert.match(text, /could not be reached, or the browser refused its answer \(CORS\)/);
    assert.ok(text.includes(otherOrigin), text);
    // Cognito's token endpoint answers that origin without CORS headers: the page cannot read it.
    const tokenCall = await page.evaluate(async ([url, clientId, refreshToken]) => {
      try {
        await fetch(url, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
        });
        return 'read';
      } catch (err) {
        return err.name;
      }
    }, [`${DOMAIN}/oauth2/token`, CLIENT_ID, JSON.parse(user).refresh_token]);
    assert.equal(tokenCall, 'TypeError');
    const refusals = consoleLines.filter((line) => line.includes('blocked by CORS policy'));
    assert.ok(refusals.some((line) => line.includes('/hello')), `no CORS refusal of the API:\n${consoleLines.join('\n')}`);
    assert.ok(refusals.some((line) => line.includes('/oauth2/token')), `no CORS refusal of Cognito:\n${consoleLines.join('\n')}`);
  });
});
