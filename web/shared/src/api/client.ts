/**
 * The API client base of both apps: typed calls generated from an OpenAPI document
 * (openapi-typescript types + openapi-fetch), same-origin cookies for the session, every failure
 * thrown as one `ApiError`, and a hook when the session ends (401).
 *
 * Usage: `const api = createApi<paths>({ onUnauthorized })`, then
 * `const me = await call(api.GET('/api/v1/me'))`.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ApiError, parseErrorBody } from './errors';

export { ApiError } from './errors';

export interface ApiOptions {
  /** Origin of the API; empty for the page's own origin (the normal case: the app is served by its API). */
  baseUrl?: string;
  /** Called once per failed call with 401, e.g. to show the login screen (not for a refused login). */
  onUnauthorized?: () => void;
  /** Paths whose 401 means "wrong credentials", not "session ended" (default: the login endpoints). */
  credentialPaths?: RegExp;
  /** Replaced in tests. */
  fetch?: typeof fetch;
}

export type ApiClient<Paths extends {}> = Client<Paths, `${string}/${string}`>;

export function createApi<Paths extends {}>(options: ApiOptions = {}): ApiClient<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl ?? '',
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const unauthorized: Middleware = {
    onResponse({ request, response }) {
      const credentials = options.credentialPaths ?? /\/auth\/login$/;
      if (response.status === 401 && !credentials.test(new URL(request.url, 'http://x').pathname)) options.onUnauthorized?.();
      return undefined;
    },
  };
  client.use(unauthorized);
  return client as ApiClient<Paths>;
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an `ApiError` (status 0 when the
 * server could not be reached).
 */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await request;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, e instanceof Error ? e.message : String(e));
  }
  const { response } = result;
  if (!response.ok) {
    throw parseErrorBody(response.status, result.error, response.statusText || `HTTP ${response.status}`);
  }
  return result.data as T;
}
