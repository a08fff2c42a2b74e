// The one place that talks to Cognito: managed login with the authorization code grant and PKCE
// (oidc-client-ts), the session (refreshed with the refresh token shortly before it expires), and
// sign-out (the refresh token revoked, the tokens dropped, then Cognito's /logout ends the login
// session of the domain).
import { ErrorResponse, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { Config } from './config';

/** A failure worth showing as is: `message` is written for the person using the page. */
export class AuthError extends Error {}

export interface Auth {
  /** Finishes the sign-in or sign-out that brought the browser back to the app; what to tell the user. */
  handleReturn(): Promise<string | null>;
  /** The signed-in user's name, or null. */
  currentUser(): Promise<string | null>;
  /** Leaves for the managed login page; the browser comes back with a code. */
  signIn(): Promise<void>;
  /** The ID token, refreshed first when it expires within a minute; null when signed out. */
  idToken(): Promise<string | null>;
  /** Revokes the refresh token, forgets every token, then leaves for Cognito's /logout. */
  signOut(): Promise<void>;
}

// The client's AllowedOAuthScopes (template.yaml).
const SCOPE = 'openid email phone';
// Refresh this long before the tokens expire, so a call never leaves with one about to lapse.
const REFRESH_MARGIN_SECONDS = 60;
// Set just before leaving for /logout: the logout URL must be exactly the app's origin, so the way
// back cannot say that it is a way back.
const SIGNED_OUT = 'hello-api.signed-out';

function usernameOf(user: User): string {
  return String(user.profile['cognito:username'] ?? user.profile.sub);
}

function describe(err: unknown): string {
  if (err instanceof ErrorResponse) return err.error_description ? `${err.error}: ${err.error_description}` : err.error ?? 'error';
  if (err instanceof TypeError) return 'Cognito could not be reached (network error, or the browser refused its answer)';
  return err instanceof Error ? err.message : String(err);
}

export function createAuth(config: Config, location: Location = window.location, storage: Storage = window.sessionStorage): Auth {
  // redirect_uri and logout_uri: the page's origin, byte for byte the CallbackURLs / LogoutURLs
  // entry (AllowedOrigin: no path, no trailing slash).
  const origin = location.origin;
  const manager = new UserManager({
    authority: config.authority,
    client_id: config.userPoolClientId,
    redirect_uri: origin,
    response_type: 'code',
    scope: SCOPE,
    // The tokens, and the PKCE verifier and state of a sign-in under way: this tab only.
    userStore: new WebStorageStateStore({ store: storage }),
    stateStore: new WebStorageStateStore({ store: storage }),
    // Cognito has no prompt=none: renewal is done here, with the refresh token, before calls.
    automaticSilentRenew: false,
    // Cognito's /oauth2/revoke takes refresh tokens only.
    revokeTokenTypes: ['refresh_token'],
    // /logout is Cognito's own (client_id + logout_uri), on the user pool domain.
    metadataSeed: { end_session_endpoint: `${config.domainUrl}/logout` },
  });

  async function renew(user: User): Promise<User> {
    if (!user.refresh_token) {
      await manager.removeUser();
      throw new AuthError('Your session has expired: sign in again.');
    }
    try {
      return (await manager.signinSilent()) ?? user;
    } catch (err) {
      if (err instanceof ErrorResponse) {
        // Revoked or expired refresh token: this session is over.
        await manager.removeUser();
        throw new AuthError(`Your session has ended (${describe(err)}): sign in again.`);
      }
      throw new AuthError(`Your session could not be renewed: ${describe(err)}.`);
    }
  }

  return {
    async handleReturn() {
      const params = new URLSearchParams(location.search);
      if (storage.getItem(SIGNED_OUT) !== null) {
        const outcome = storage.getItem(SIGNED_OUT);
        storage.removeItem(SIGNED_OUT);
        return outcome === 'revoked'
          ? 'Signed out: the refresh token is revoked and the login session ended.'
          : `Signed out and the login session ended; the refresh token could not be revoked: ${outcome}`;
      }
      if (!params.has('state') || !(params.has('code') || params.has('error'))) return null;
      // Whatever happens, the code leaves the address bar and the history.
      const back = () => window.history.replaceState(null, '', location.pathname);
      try {
        const user = await manager.signinRedirectCallback(location.href);
        back();
        return `Signed in as ${usernameOf(user)}.`;
      } catch (err) {
        back();
        throw new AuthError(`Sign-in failed: ${describe(err)}`);
      }
    },

    async currentUser() {
      const user = await manager.getUser();
      return user && (!user.expired || user.refresh_token) ? usernameOf(user) : null;
    },

    async signIn() {
      await manager.signinRedirect();
    },

    async idToken() {
      let user = await manager.getUser();
      if (!user) return null;
      // expires_in counts on this page's clock from when the tokens arrived (Cognito's expires_in),
      // so a skewed clock does not matter. ID and access tokens live equally long in the template.
      if ((user.expires_in ?? 0) <= REFRESH_MARGIN_SECONDS) user = await renew(user);
      return user.id_token ?? null;
    },

    async signOut() {
      let outcome = 'revoked';
      try {
        await manager.revokeTokens(['refresh_token']);
      } catch (err) {
        outcome = describe(err);
      }
      // With no user left, signoutRedirect sends neither id_token_hint (Cognito ignores it, and it
      // would put the token in a URL) nor a client_id of its own: only Cognito's two parameters.
      await manager.removeUser();
      storage.setItem(SIGNED_OUT, outcome);
      await manager.signoutRedirect({ extraQueryParams: { client_id: config.userPoolClientId, logout_uri: origin } });
    },
  };
}
