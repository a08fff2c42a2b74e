// The app's runtime configuration: config.json, written next to the app by scripts/web-config.sh
// from the local stack (.local/stack.env) or the deployed stack's outputs. One build serves both.

export interface Config {
  /** The OIDC authority: the user pool's issuer URL (its discovery document is under it). */
  authority: string;
  /** The user pool domain (managed login's /login and /logout). */
  domainUrl: string;
  userPoolClientId: string;
  /** The HTTP API's base URL; the app calls `${httpApiUrl}/hello`. */
  httpApiUrl: string;
  /** The REST API's base URL with its stage (`.../dev`); null while the stack has none. */
  restApiUrl: string | null;
}

export class ConfigError extends Error {}

function text(raw: Record<string, unknown>, key: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`config.json: "${key}" must be a non-empty string`);
  }
  return value.trim();
}

function optionalText(raw: Record<string, unknown>, key: string): string | null {
  return raw[key] == null || raw[key] === '' ? null : text(raw, key);
}

function url(raw: Record<string, unknown>, key: string): string {
  const value = text(raw, key);
  try {
    new URL(value);
  } catch {
    throw new ConfigError(`config.json: "${key}" is not a URL: ${value}`);
  }
  return value.replace(/\/+$/, '');
}

function optionalUrl(raw: Record<string, unknown>, key: string): string | null {
  return optionalText(raw, key) === null ? null : url(raw, key);
}

export function parseConfig(raw: unknown): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('config.json must hold a JSON object');
  }
  const fields = raw as Record<string, unknown>;
  return {
    authority: url(fields, 'authority'),
    domainUrl: url(fields, 'domainUrl'),
    userPoolClientId: text(fields, 'userPoolClientId'),
    httpApiUrl: url(fields, 'httpApiUrl'),
    restApiUrl: optionalUrl(fields, 'restApiUrl'),
  };
}

/** Reads config.json once, at start. */
export async function loadConfig(): Promise<Config> {
  const location = `${import.meta.env.BASE_URL}config.json`;
  let response: Response;
  try {
    response = await fetch(location, { cache: 'no-store' });
  } catch {
    throw new ConfigError(`${location} could not be loaded (is the web server running?)`);
  }
  if (!response.ok) {
    throw new ConfigError(
      `${location} answered ${response.status}: write it with scripts/web-config.sh (make web-config)`,
    );
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError(`${location} is not JSON`);
  }
  return parseConfig(raw);
}
