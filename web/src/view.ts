// The page: finds its elements once, renders what main.ts tells it, reports what the user does.
// Text goes in with textContent only: nothing from the network is ever parsed as HTML.
import type { ApiName, CallResult } from './api';

export interface View {
  showUser(username: string | null): void;
  showStatus(text: string): void;
  showError(text: string | null): void;
  showResponse(result: CallResult): void;
  setBusy(busy: boolean): void;
  onSignIn(handler: () => void): void;
  onSignOut(handler: () => void): void;
  onCall(handler: (api: ApiName) => void): void;
}

function find<T extends HTMLElement>(root: Document, selector: string, type: { new (): T }): T {
  const element = root.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`index.html has no ${selector}`);
  return element;
}

const REASONS: Record<number, string> = {
  401: 'The API refused the call: no valid token (sign in, or sign in again).',
  403: 'The API refused the call: the token is not allowed to call this route.',
};

export function createView(root: Document): View {
  const signedOut = find(root, '#signed-out', HTMLElement);
  const signIn = find(root, '#sign-in', HTMLButtonElement);
  const session = find(root, '#session', HTMLElement);
  const who = find(root, '#who', HTMLElement);
  const signOut = find(root, '#sign-out', HTMLButtonElement);
  const callHttp = find(root, '#call-http', HTMLButtonElement);
  const callRest = find(root, '#call-rest', HTMLButtonElement);
  const status = find(root, '#status', HTMLElement);
  const error = find(root, '#error', HTMLElement);
  const summary = find(root, '#response-summary', HTMLElement);
  const note = find(root, '#response-note', HTMLElement);
  const body = find(root, '#response-body', HTMLElement);
  const buttons = [signIn, signOut, callHttp, callRest];

  return {
    showUser(name) {
      signedOut.hidden = name !== null;
      session.hidden = name === null;
      who.textContent = name ?? '';
    },
    showStatus(text) {
      status.textContent = text;
    },
    showError(text) {
      error.hidden = text === null;
      error.textContent = text ?? '';
    },
    showResponse(result) {
      if (result.kind === 'unreachable') {
        summary.textContent = `${result.api} GET ${result.url}: no response`;
        note.textContent =
          `The API could not be reached, or the browser refused its answer (CORS): ` +
          `this page's origin ${window.location.origin} may not be an allowed origin of the API.`;
        body.textContent = '';
        return;
      }
      summary.textContent = `${result.api} GET ${result.url}: ${result.status} ${result.statusText}`.trimEnd();
      const unsigned = result.status === 401 && !result.signedIn ? ' The call was sent without a token: you are signed out.' : '';
      note.textContent = (REASONS[result.status] ?? '') + unsigned;
      body.textContent = typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2);
    },
    setBusy(busy) {
      for (const button of buttons) button.disabled = busy;
      root.body.setAttribute('aria-busy', String(busy));
    },
    onSignIn(handler) {
      signIn.addEventListener('click', () => handler());
    },
    onSignOut(handler) {
      signOut.addEventListener('click', () => handler());
    },
    onCall(handler) {
      callHttp.addEventListener('click', () => handler('HTTP API'));
      callRest.addEventListener('click', () => handler('REST API'));
    },
  };
}
