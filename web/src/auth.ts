// The one place that talks to Cognito: SRP sign-in (USER_SRP_AUTH: the password never leaves
// the browser), the session (refreshed with the refresh token when it has expired), sign-out
// (the refresh token is revoked, then the tokens leave storage).
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type ICognitoStorage,
} from 'amazon-cognito-identity-js';
import type { Config } from './config';

/** A failure worth showing as is: `message` is written for the person using the page. */
export class AuthError extends Error {}

export type SignOutOutcome = { revoked: true } | { revoked: false; reason: string };

export interface Auth {
  /** The signed-in user's name, or null. An expired session is refreshed first. */
  currentUser(): Promise<string | null>;
  /** Signs in with SRP; resolves to the user's name. */
  signIn(username: string, password: string): Promise<string>;
  /** The ID token of the session (refreshed when expired), or null when signed out. */
  idToken(): Promise<string | null>;
  /** Revokes the refresh token where Cognito allows it, then forgets every token. */
  signOut(): Promise<SignOutOutcome>;
}

interface CognitoFailure {
  code?: string;
  name?: string;
  message?: string;
}

function describe(err: unknown, endpoint: string): string {
  const { code, name, message } = (err ?? {}) as CognitoFailure;
  switch (code ?? name) {
    case 'NotAuthorizedException':
      return message || 'Incorrect username or password.';
    case 'UserNotFoundException': // a client with PreventUserExistenceErrors=LEGACY
      return 'Incorrect username or password.';
    case 'UserNotConfirmedException':
      return 'This user is not confirmed yet.';
    case 'PasswordResetRequiredException':
      return 'This user must reset their password first.';
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
    case 'LimitExceededException':
      return 'Too many attempts: wait a moment and try again.';
    case 'NetworkError':
      return `Cognito could not be reached at ${endpoint} (network error, or the browser refused the answer).`;
    default:
      return `Cognito refused: ${code ?? name ?? 'Error'}: ${message ?? 'no details'}`;
  }
}

function unsupportedChallenge(what: string): AuthError {
  return new AuthError(`This user needs ${what}, which this app does not offer.`);
}

function sessionOf(user: CognitoUser): Promise<CognitoUserSession> {
  return new Promise((resolve, reject) => {
    user.getSession((err: Error | null, session: CognitoUserSession | null) => {
      if (err || !session) reject(err ?? new Error('no session'));
      else resolve(session);
    });
  });
}

function usernameOf(session: CognitoUserSession): string {
  const claims = session.getIdToken().decodePayload();
  return String(claims['cognito:username'] ?? claims.sub);
}

export function createAuth(config: Config, storage: ICognitoStorage = window.sessionStorage): Auth {
  const endpoint = config.cognitoEndpoint ?? `https://cognito-idp.${config.region}.amazonaws.com/`;
  const pool = new CognitoUserPool({
    UserPoolId: config.userPoolId,
    ClientId: config.userPoolClientId,
    endpoint,
    Storage: storage,
  });

  // The stored session, refreshed if needed; null when there is none or it cannot be renewed.
  async function currentSession(): Promise<CognitoUserSession | null> {
    const user = pool.getCurrentUser();
    if (!user) return null;
    try {
      return await sessionOf(user);
    } catch (err) {
      const { code } = err as CognitoFailure;
      if (code === 'NotAuthorizedException') {
        // Refresh token revoked or expired: the library has already dropped the tokens.
        throw new AuthError('Your session has ended (the refresh token was refused): sign in again.');
      }
      if (code) throw new AuthError(`Your session could not be renewed: ${describe(err, endpoint)}`);
      return null; // nothing usable stored
    }
  }

  return {
    async currentUser() {
      const session = await currentSession().catch(() => null);
      return session ? usernameOf(session) : null;
    },

    signIn(username, password) {
      const user = new CognitoUser({ Username: username, Pool: pool, Storage: storage });
      user.setAuthenticationFlowType('USER_SRP_AUTH');
      const details = new AuthenticationDetails({ Username: username, Password: password });
      return new Promise((resolve, reject) => {
        user.authenticateUser(details, {
          onSuccess: (session) => resolve(usernameOf(session)),
          onFailure: (err) => reject(new AuthError(describe(err, endpoint))),
          newPasswordRequired: () =>
            reject(new AuthError('This user still has a temporary password: an administrator must set a permanent one.')),
          mfaRequired: () => reject(unsupportedChallenge('an SMS code')),
          totpRequired: () => reject(unsupportedChallenge('an authenticator code')),
          mfaSetup: () => reject(unsupportedChallenge('multi-factor set-up')),
          selectMFAType: () => reject(unsupportedChallenge('a choice of multi-factor method')),
          customChallenge: () => reject(unsupportedChallenge('a custom challenge')),
        });
      });
    },

    async idToken() {
      const session = await currentSession();
      return session ? session.getIdToken().getJwtToken() : null;
    },

    async signOut() {
      const user = pool.getCurrentUser();
      if (!user) return { revoked: true };
      // signOut(callback) calls RevokeToken with the refresh token (the app client has
      // EnableTokenRevocation) and then clears storage; without a session it only reports.
      const failure = await new Promise<unknown>((resolve) => user.signOut((err?: Error) => resolve(err)));
      user.signOut(); // whatever happened above, no token stays in storage
      return failure ? { revoked: false, reason: describe(failure, endpoint) } : { revoked: true };
    },
  };
}
