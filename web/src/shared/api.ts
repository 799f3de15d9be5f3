/** Talking to the feed API from the pages: keys, JSON requests, readable errors. */

export interface Keys {
  app: string | null;
  admin: string | null;
}

export type KeyKind = keyof Keys;
const storageKey = (kind: KeyKind) => `feed.${kind}Key`;

/** A key the person typed wins; otherwise the demo defaults the server offers, if any. */
export async function loadKeys(): Promise<Keys> {
  let offered: { app_key: string | null; admin_key: string | null } = { app_key: null, admin_key: null };
  try {
    const res = await fetch('/app/config.json');
    if (res.ok) offered = await res.json();
  } catch {
    // The pages still work with typed keys.
  }
  return {
    app: localStorage.getItem(storageKey('app')) ?? offered.app_key,
    admin: localStorage.getItem(storageKey('admin')) ?? offered.admin_key,
  };
}

export function saveKey(kind: KeyKind, key: string | null): void {
  if (key) localStorage.setItem(storageKey(kind), key);
  else localStorage.removeItem(storageKey(kind));
}

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  key: string | null;
  method?: 'GET' | 'POST';
  body?: unknown;
  keepalive?: boolean;
}

/** JSON request with the API key; throws ApiRequestError carrying the server's error message. */
export async function api<T>(path: string, opts: RequestOptions): Promise<T> {
  const headers: Record<string, string> = {};
  if (opts.key) headers['x-api-key'] = opts.key;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.keepalive ? { keepalive: true } : {}),
    });
  } catch (err) {
    throw new ApiRequestError(0, 'network', `cannot reach the feed API: ${(err as Error).message}`);
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    // Non-JSON bodies are reported below by status.
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiRequestError(res.status, error?.code ?? 'http_error', error?.message ?? `${res.status} ${res.statusText}`);
  }
  return data as T;
}

export const formatMoney = (amount: number, currency: string) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
};
