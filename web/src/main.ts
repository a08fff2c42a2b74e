// Wires the page: config once, then the auth, API and view modules. The only state is here.
import { callHello, type ApiName } from './api';
import { AuthError, createAuth, type Auth } from './auth';
import { loadConfig, type Config } from './config';
import { createView, type View } from './view';

function words(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function wire(config: Config, auth: Auth, view: View): void {
  // Serializes what the user does: one sign-in, sign-out or call at a time.
  let busy = false;
  async function step(what: string, action: () => Promise<void>): Promise<void> {
    if (busy) return;
    busy = true;
    view.setBusy(true);
    view.showError(null);
    view.showStatus(what);
    try {
      await action();
    } catch (err) {
      view.showError(words(err));
      view.showStatus('');
      if (err instanceof AuthError) view.showUser(await auth.currentUser());
    } finally {
      busy = false;
      view.setBusy(false);
    }
  }

  view.onSignIn((username, password) =>
    step('Signing in…', async () => {
      if (!username || !password) throw new AuthError('Enter a username and a password.');
      const name = await auth.signIn(username, password).catch((err) => {
        throw err instanceof AuthError ? new AuthError(`Sign-in failed: ${err.message}`) : err;
      });
      view.showUser(name);
      view.showStatus(`Signed in as ${name}.`);
    }),
  );

  view.onSignOut(() =>
    step('Signing out…', async () => {
      const outcome = await auth.signOut();
      view.showUser(null);
      view.showStatus(
        outcome.revoked
          ? 'Signed out: the session is revoked.'
          : `Signed out in this browser; the refresh token could not be revoked: ${outcome.reason}`,
      );
    }),
  );

  const urls: Record<ApiName, string | null> = { 'HTTP API': config.httpApiUrl, 'REST API': config.restApiUrl };
  view.onCall((api) =>
    step(`Calling the ${api}…`, async () => {
      const url = urls[api];
      if (!url) throw new Error(`The ${api} is not configured (config.json has no URL for it).`);
      const token = await auth.idToken();
      const result = await callHello(api, url, token);
      view.showResponse(result);
      view.showStatus(result.kind === 'response' ? `The ${api} answered ${result.status}.` : `The ${api} did not answer.`);
    }),
  );
}

async function start(): Promise<void> {
  const view = createView(document);
  view.setBusy(true);
  let config: Config;
  try {
    config = await loadConfig();
  } catch (err) {
    view.showError(`The app cannot start: ${words(err)}`);
    return;
  }
  const auth = createAuth(config);
  view.showUser(await auth.currentUser());
  wire(config, auth, view);
  view.setBusy(false);
  view.showStatus('');
}

void start();
