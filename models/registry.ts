import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { FeedError } from '../core/errors.ts';

export type ModelKind = 'retrieval' | 'ranker';

/** manifest.json of one version. */
export interface Manifest {
  version: string;
  created_at: string;
  git_commit: string | null;
  backend: string;
  seed: number;
  /** Which models this version holds, and where each came from when it was inherited. */
  models: Partial<Record<ModelKind, { files: string[]; inherited_from?: string }>>;
  config: unknown;
  feature_spec: unknown;
  metrics: Record<string, unknown>;
  data_range: { from: string | null; to: string | null; cutoff: string | null; ranker_from?: string | null; events: number };
}

/** promoted.json: the serving version plus the stack of earlier promotions for rollback. */
export interface PromotedPointer {
  version: string | null;
  history: string[];
  updated_at: string;
}

/** Version names: safe as a directory name. */
export const VERSION_NAME = /^[A-Za-z0-9_.-]+$/;

export function registryDir(config: Config): string {
  return resolve(config.dataDir, 'models');
}

const versionsDir = (config: Config) => join(registryDir(config), 'versions');
const pointerPath = (config: Config) => join(registryDir(config), 'promoted.json');

export function versionDir(config: Config, version: string): string {
  if (!VERSION_NAME.test(version)) throw new FeedError('invalid_request', `invalid version name "${version}"`);
  return join(versionsDir(config), version);
}

/** Sortable, unique version names: v<yyyymmdd>-<hhmmss>-<random>. */
function newVersionName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `v${stamp}-${randomBytes(3).toString('hex')}`;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Writes JSON by writing a temp file in the same folder and renaming it over the target. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * Creates a version: `write(dir)` fills the folder (returning the files per model), then the
 * manifest is written and the staging folder renamed into place, so a half-written version is
 * never listed.
 */
export async function createVersion(
  config: Config,
  manifest: Omit<Manifest, 'version' | 'created_at' | 'git_commit' | 'models'>,
  write: (dir: string) => Promise<Manifest['models']> | Manifest['models'],
  version = newVersionName(),
): Promise<Manifest> {
  mkdirSync(versionsDir(config), { recursive: true });
  const staging = join(versionsDir(config), `.staging-${version}`);
  mkdirSync(staging, { recursive: true });
  try {
    const models = await write(staging);
    const full: Manifest = { version, created_at: new Date().toISOString(), git_commit: gitCommit(), models, ...manifest };
    writeJsonAtomic(join(staging, 'manifest.json'), full);
    renameSync(staging, versionDir(config, version));
    return full;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Copies a model's files from another version into `dir` (for versions that retrain only one model). */
export function inheritModel(config: Config, from: string, kind: ModelKind, dir: string): { files: string[]; inherited_from: string } {
  const source = readManifest(config, from);
  const entry = source.models[kind];
  if (!entry) throw new FeedError('conflict', `version ${from} has no ${kind} model to inherit`);
  for (const f of entry.files) cpSync(join(versionDir(config, from), f), join(dir, f));
  return { files: entry.files, inherited_from: entry.inherited_from ?? from };
}

export function readManifest(config: Config, version: string): Manifest {
  const path = join(versionDir(config, version), 'manifest.json');
  if (!existsSync(path)) throw new FeedError('not_found', `unknown model version "${version}" (see \`feed models list\`)`);
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Every complete version, oldest first. */
export function listVersions(config: Config): Manifest[] {
  if (!existsSync(versionsDir(config))) return [];
  return readdirSync(versionsDir(config))
    .filter((name) => !name.startsWith('.') && existsSync(join(versionsDir(config), name, 'manifest.json')))
    .sort()
    .map((name) => readManifest(config, name));
}

export function readPointer(config: Config): PromotedPointer {
  const path = pointerPath(config);
  if (!existsSync(path)) return { version: null, history: [], updated_at: new Date(0).toISOString() };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PromotedPointer;
  } catch (err) {
    throw new FeedError('conflict', `cannot read ${path}: ${(err as Error).message}`);
  }
}

export function promotedVersion(config: Config): string | null {
  return readPointer(config).version;
}

/** Makes `version` the serving version; the current one goes onto the rollback stack. */
export function promote(config: Config, version: string): PromotedPointer {
  const manifest = readManifest(config, version);
  const missing = (['retrieval', 'ranker'] as const).filter((k) => !manifest.models[k]);
  if (missing.length) throw new FeedError('conflict', `version ${version} has no ${missing.join(' or ')} model; train with --model all first`);
  const current = readPointer(config);
  if (current.version === version) return current;
  const next: PromotedPointer = {
    version,
    history: current.version ? [...current.history, current.version] : current.history,
    updated_at: new Date().toISOString(),
  };
  mkdirSync(registryDir(config), { recursive: true });
  writeJsonAtomic(pointerPath(config), next);
  return next;
}

/** Restores the previously promoted version. */
export function rollback(config: Config): PromotedPointer {
  const current = readPointer(config);
  const previous = current.history[current.history.length - 1];
  if (!previous) throw new FeedError('conflict', current.version ? `nothing to roll back to: ${current.version} is the first promoted version` : 'no version has been promoted');
  readManifest(config, previous);
  const next: PromotedPointer = { version: previous, history: current.history.slice(0, -1), updated_at: new Date().toISOString() };
  writeJsonAtomic(pointerPath(config), next);
  return next;
}
