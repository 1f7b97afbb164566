import type { ErrorReply, LoginReply, UserView } from './types.js';

/** An error the server answered with: its message is written for people, so the console shows it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Session {
  token: string;
  expiresAt: string;
  user: UserView;
}

// sessionStorage, not localStorage: the session ends with the tab, as on a shared plant-floor PC.
const SESSION_KEY = 'plantwatch.session';

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return undefined;
  try {
    const session = JSON.parse(raw) as Session;
    if (Date.parse(session.expiresAt) > Date.now()) return session;
  } catch {
    // A damaged entry is no session.
  }
  sessionStorage.removeItem(SESSION_KEY);
  return undefined;
}

export const saveSession = (session: Session): void =>
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));

export const clearSession = (): void => sessionStorage.removeItem(SESSION_KEY);

let onUnauthorized: () => void = () => undefined;

/** What to do when the server no longer accepts the session (expired, revoked): main.ts goes to login. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** Ends a session the server refused (a 401 outside api(), e.g. a download): back to login. */
export function sessionRefused(): void {
  clearSession();
  onUnauthorized();
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Without the session token, and a 401 is the answer rather than a trip to login. */
  anonymous?: boolean;
}

/** A JSON call to the cloud's API, with the session's token; errors become ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const session = options.anonymous ? undefined : loadSession();
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'PW_NETWORK', 'the cloud did not answer; check the connection and try again');
  }
  if (response.status === 401 && !options.anonymous) {
    clearSession();
    onUnauthorized();
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const reply = body as Partial<ErrorReply> | undefined;
    throw new ApiError(
      response.status,
      reply?.code,
      reply?.message ?? `${response.status} ${response.statusText || 'error'} from ${path}`,
    );
  }
  return body as T;
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const login = (username: string, password: string): Promise<LoginReply> =>
  api<LoginReply>('/api/v1/login', { method: 'POST', body: { username, password }, anonymous: true });

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : `unexpected error: ${String(error)}`;

export const isAbort = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';
