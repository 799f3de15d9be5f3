import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../test/stack.ts';
import { createVersion, listVersions, promote, readPointer, registryDir, rollback, writeJsonAtomic } from './registry.ts';
import { watchPromoted } from './serving.ts';

const dir = mkdtempSync(join(tmpdir(), 'registry-'));
const config = testConfig({ dataDir: dir, models: { watchIntervalMs: 50 } });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { backend: 'wasm', seed: 1, config: {}, feature_spec: {}, metrics: {}, data_range: { from: null, to: null, cutoff: null, events: 0 } };
const both = () => ({ retrieval: { files: [] }, ranker: { files: [] } });

describe('model registry', () => {
  it('lists versions, promotes and rolls back to the previously promoted version', async () => {
    const a = await createVersion(config, base, both, 'v1-a');
    const b = await createVersion(config, base, both, 'v2-b');
    const c = await createVersion(config, base, both, 'v3-c');
    expect(listVersions(config).map((m) => m.version)).toEqual([a.version, b.version, c.version]);
    expect(a.git_commit === null || /^[0-9a-f]{40}$/.test(a.git_commit)).toBe(true);

    expect(() => rollback(config)).toThrow(/no version has been promoted/);
    promote(config, 'v1-a');
    promote(config, 'v3-c');
    promote(config, 'v2-b');
    expect(readPointer(config).version).toBe('v2-b');
    expect(rollback(config).version).toBe('v3-c');
    expect(rollback(config).version).toBe('v1-a');
    expect(() => rollback(config)).toThrow(/nothing to roll back to/);
    expect(() => promote(config, 'v9-missing')).toThrow(/unknown model version/);
  });

  it('refuses to promote a version without both models, and hides half-written versions', async () => {
    await createVersion(config, base, () => ({ retrieval: { files: [] } }), 'v4-partial');
    expect(() => promote(config, 'v4-partial')).toThrow(/no ranker model/);
    await expect(
      createVersion(
        config,
        base,
        () => {
          throw new Error('disk full');
        },
        'v5-broken',
      ),
    ).rejects.toThrow('disk full');
    expect(listVersions(config).map((m) => m.version)).not.toContain('v5-broken');
    expect(readdirSync(join(registryDir(config), 'versions')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('writes the pointer atomically: temp file then rename, nothing left behind', () => {
    const path = join(dir, 'pointer-test.json');
    for (let i = 0; i < 50; i++) writeJsonAtomic(path, { i });
    expect(readdirSync(dir).filter((n) => n.startsWith('pointer-test'))).toEqual(['pointer-test.json']);
    expect(existsSync(join(registryDir(config), 'promoted.json'))).toBe(true);
    expect(readdirSync(registryDir(config)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('watchPromoted fires on promote and on rollback', async () => {
    const seen: (string | undefined)[] = [];
    const watcher = watchPromoted(config, (v) => seen.push(v));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    promote(config, 'v2-b');
    await waitFor(1);
    rollback(config);
    await waitFor(2);
    watcher.close();
    expect(seen).toEqual(['v2-b', 'v1-a']);
  });
});
