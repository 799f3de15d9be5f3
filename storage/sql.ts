import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Bound parameters for ClickHouse. Servers from 19.x bind `{name:Type}` placeholders
 * themselves; 18.16 (Debian's package) does not, so there values are rendered as escaped
 * literals by one audited function. Either way a request value never becomes SQL text.
 */
export type SqlValue = string | number | boolean | readonly string[] | readonly number[];

export interface SqlFragment {
  readonly strings: readonly string[];
  readonly values: readonly SqlValue[];
}

const isFragment = (v: SqlValue | SqlFragment): v is SqlFragment => typeof v === 'object' && !Array.isArray(v);

/** A query with bound values; a value that is itself a fragment is spliced in, its values still bound. */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | SqlFragment)[]): SqlFragment {
  const parts = [strings[0] ?? ''];
  const bound: SqlValue[] = [];
  values.forEach((v, i) => {
    const next = strings[i + 1] ?? '';
    if (!isFragment(v)) {
      bound.push(v);
      parts.push(next);
      return;
    }
    parts[parts.length - 1] += v.strings[0] ?? '';
    v.values.forEach((inner, j) => {
      bound.push(inner);
      parts.push(v.strings[j + 1] ?? '');
    });
    parts[parts.length - 1] += next;
  });
  return { strings: parts, values: bound };
}

function typeOf(v: SqlValue): string {
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'UInt8';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Int64' : 'Float64';
  if (v.every((x) => typeof x === 'string')) return 'Array(String)';
  return (v as readonly number[]).every(Number.isInteger) ? 'Array(Int64)' : 'Array(Float64)';
}

/** A ClickHouse string literal: backslash and quote escaped, as the server's lexer expects. */
export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function literal(v: SqlValue): string {
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot bind non-finite number ${v}`);
    return String(v);
  }
  return `[${(v as readonly SqlValue[]).map((x) => literal(x as string | number)).join(', ')}]`;
}

export type BindMode = 'server' | 'inline';

export function render(frag: SqlFragment, mode: BindMode): { query: string; query_params?: Record<string, unknown> } {
  let query = frag.strings[0] ?? '';
  const params: Record<string, unknown> = {};
  frag.values.forEach((v, i) => {
    if (mode === 'server') {
      params[`p${i}`] = v;
      query += `{p${i}:${typeOf(v)}}`;
    } else {
      query += literal(v);
    }
    query += frag.strings[i + 1] ?? '';
  });
  return mode === 'server' ? { query, query_params: params } : { query };
}

const modes = new WeakMap<ClickHouseClient, Promise<BindMode>>();

/** Server-side binding where the server supports it (19.0 and later). Detected once per client, once it answers. */
export function bindMode(client: ClickHouseClient): Promise<BindMode> {
  let mode = modes.get(client);
  if (!mode) {
    mode = client
      .query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
      .then((rs) => rs.json<{ v: string }>())
      .then((rows) => (Number(rows[0]?.v.split('.')[0]) >= 19 ? 'server' : 'inline'));
    // A server that was down is asked again next time (the ingest consumer outlives outages).
    mode.catch(() => modes.delete(client));
    modes.set(client, mode);
  }
  return mode;
}

/** Runs a SELECT built with `sql` and returns its rows. For set membership use `has(${list}, col)`: 18.16 rejects `IN [array]`. */
export async function queryRows<T>(client: ClickHouseClient, frag: SqlFragment): Promise<T[]> {
  const rs = await client.query({ ...render(frag, await bindMode(client)), format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Like `queryRows`, in batches as the server sends them: for results too large to hold twice. */
export async function* streamRows<T>(client: ClickHouseClient, frag: SqlFragment): AsyncGenerator<T[]> {
  const rs = await client.query({ ...render(frag, await bindMode(client)), format: 'JSONEachRow' });
  for await (const rows of rs.stream<T>()) yield rows.map((row) => row.json<T>());
}

/** Runs a statement without result rows (ALTER … DELETE, say) built with `sql`. */
export async function runCommand(client: ClickHouseClient, frag: SqlFragment): Promise<void> {
  await client.command(render(frag, await bindMode(client)));
}
