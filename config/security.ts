import { isIP } from 'node:net';
import { ApiConfigSchema, type Config } from './schema.ts';

/** True for names and addresses that only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return isIP(h) === 6 && (h === '::1' || h === '0:0:0:0:0:0:0:1');
}

/** The published defaults (in this repository) that the config still uses: anyone can forge cursors or call with them. */
function defaultSecretsInUse(config: Config): string[] {
  const defaults = ApiConfigSchema.parse({});
  const out: string[] = [];
  const published = new Set(defaults.keys.map((k) => k.key));
  for (const k of config.api.keys) if (published.has(k.key)) out.push(`api key ${k.key}`);
  if (config.api.cursorSecret === defaults.cursorSecret) out.push('api.cursorSecret');
  return out;
}

export class InsecureConfigError extends Error {
  override readonly name = 'InsecureConfigError';
}

/**
 * Refuses to serve beyond loopback with published default keys or cursor secret; on loopback
 * returns a warning (the demo setup), or undefined when nothing default is in use.
 */
export function checkDefaultSecrets(config: Config): string | undefined {
  const found = defaultSecretsInUse(config);
  if (found.length === 0) return undefined;
  const what = found.join(', ');
  if (!isLoopback(config.api.host)) {
    throw new InsecureConfigError(`refusing to listen on ${config.api.host} with published defaults (${what}): set FEED_API_KEYS and FEED_CURSOR_SECRET, or listen on 127.0.0.1`);
  }
  return `serving with published defaults (${what}); fine on loopback for a demo, set FEED_API_KEYS and FEED_CURSOR_SECRET before exposing the API`;
}
