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

  view.onSignIn(() =>
    step('Going to the sign-in page…', async () => {
      await auth.signIn(); // the page unloads: the browser comes back with a code
    }),
  );

  view.onSignOut(() =>
    step('Signing out…', async () => {
      await auth.signOut(); // leaves for Cognito's /logout, which sends the browser back here
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
  let note: string | null = null;
  try {
    note = await auth.handleReturn();
  } catch (err) {
    view.showError(words(err));
  }
  view.showUser(await auth.currentUser());
  wire(config, auth, view);
  view.setBusy(false);
  view.showStatus(note ?? '');
}

void start();
