import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Json = Record<string, unknown>;
type EnvBinding = { env: string; path: string[]; parse: (raw: string) => unknown };

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const num = (raw: string) => (raw.trim() === '' ? raw : Number(raw));

/** Environment variables and the config key each one sets. */
const ENV_BINDINGS: EnvBinding[] = [
  { env: 'FEED_DATA_DIR', path: ['dataDir'], parse: String },
  { env: 'LOG_LEVEL', path: ['logLevel'], parse: String },
  { env: 'FEED_SEED', path: ['seed'], parse: num },
  { env: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], parse: list },
  { env: 'KAFKA_TOPIC', path: ['kafka', 'topic'], parse: String },
  { env: 'CLICKHOUSE_URL', path: ['clickhouse', 'url'], parse: String },
  { env: 'CLICKHOUSE_USER', path: ['clickhouse', 'username'], parse: String },
  { env: 'CLICKHOUSE_PASSWORD', path: ['clickhouse', 'password'], parse: String },
  { env: 'CLICKHOUSE_DATABASE', path: ['clickhouse', 'database'], parse: String },
  { env: 'FEED_HOST', path: ['api', 'host'], parse: String },
  { env: 'FEED_PORT', path: ['api', 'port'], parse: num },
  { env: 'FEED_WORKERS', path: ['api', 'workers'], parse: num },
  { env: 'FEED_CURSOR_SECRET', path: ['api', 'cursorSecret'], parse: String },
  { env: 'ONLINE_STATE_URL', path: ['online', 'redisUrl'], parse: String },
  { env: 'FEED_API_KEYS', path: ['api', 'keys'], parse: parseApiKeys },
];

/** `key:app[:admin|:publisher]` entries separated by commas. */
function parseApiKeys(raw: string): unknown {
  return list(raw).map((entry) => {
    const [key, app, role] = entry.split(':');
    return { key, app, admin: role === 'admin', publisher: role === 'publisher' };
  });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = isObject(cur) && isObject(v) ? deepMerge(cur, v) : v;
  }
  return out;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
}

function readFile(path: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Invalid config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(parsed)) throw new ConfigError(`Invalid config file ${path}: expected a JSON object`);
  return parsed;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Config file; defaults to $FEED_CONFIG, then ./feed.config.json if present. */
  file?: string;
  /** Applied last; used by tests and CLI flags. */
  overrides?: Json;
}

/** Defaults, then the optional file, then environment variables, then overrides. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const sources = new Map<string, string>();
  let raw: Json = {};

  const file = opts.file ?? env.FEED_CONFIG ?? (existsSync('feed.config.json') ? 'feed.config.json' : undefined);
  if (file) raw = deepMerge(raw, readFile(resolve(file)));

  const fromEnv: Json = {};
  for (const b of ENV_BINDINGS) {
    const value = env[b.env];
    if (value === undefined || value === '') continue;
    setPath(fromEnv, b.path, b.parse(value));
    sources.set(b.path.join('.'), `environment variable ${b.env}`);
  }
  if (env.KAFKA_BROKERS) setPath(fromEnv, ['kafka', 'external'], true);
  if (env.CLICKHOUSE_URL) setPath(fromEnv, ['clickhouse', 'external'], true);
  if (env.ONLINE_STATE_URL) {
    setPath(fromEnv, ['online', 'store'], 'redis');
    setPath(fromEnv, ['online', 'redisExternal'], true);
  }
  raw = deepMerge(raw, fromEnv);
  if (opts.overrides) raw = deepMerge(raw, opts.overrides);

  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const source = [...sources].find(([p]) => key === p || key.startsWith(`${p}.`))?.[1];
      return `  ${key}: ${issue.message}${source ? ` (from ${source})` : file ? ` (check ${file})` : ''}`;
    });
    throw new ConfigError(`Invalid config:\n${lines.join('\n')}`);
  }
  return result.data;
}
