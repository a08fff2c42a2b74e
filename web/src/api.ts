// The one place that calls the APIs: GET {base}/hello with the ID token as a Bearer token.

export type ApiName = 'HTTP API' | 'REST API';

export type CallResult =
  | { kind: 'response'; api: ApiName; url: string; status: number; statusText: string; body: unknown; signedIn: boolean }
  | { kind: 'unreachable'; api: ApiName; url: string };

export async function callHello(api: ApiName, baseUrl: string, idToken: string | null): Promise<CallResult> {
  const url = `${baseUrl}/hello`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (idToken) headers.authorization = `Bearer ${idToken}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, mode: 'cors', cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    // fetch rejects with a TypeError, on purpose without detail, both when nothing answers and
    // when the browser withholds an answer that CORS does not allow for this page's origin.
    if (err instanceof TypeError) return { kind: 'unreachable', api, url };
    throw err;
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: shown as text
  }
  return { kind: 'response', api, url, status: response.status, statusText: response.statusText, body, signedIn: idToken !== null };
}
