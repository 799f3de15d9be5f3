import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = fileURLToPath(new URL('./', import.meta.url));
const stamp = join(webDir, 'dist', '.built');

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), s.mtimeMs);
}

/** Whether web/dist is older than the sources, the Vite config or the lockfile. */
export function webBuildStale(): boolean {
  if (!existsSync(stamp)) return true;
  const sources = Math.max(newestMtime(join(webDir, 'src')), newestMtime(join(webDir, 'vite.config.ts')), newestMtime(join(webDir, '..', 'package-lock.json')));
  return sources > statSync(stamp).mtimeMs;
}

/** Builds the pages with Vite unless web/dist is already up to date; returns whether it built. */
export async function ensureWebBuilt(force = false): Promise<boolean> {
  if (!force && !webBuildStale()) return false;
  const { build } = await import('vite');
  await build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const started = Date.now();
  const built = await ensureWebBuilt(force);
  console.log(built ? `web: built web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'web: web/dist is up to date');
}
