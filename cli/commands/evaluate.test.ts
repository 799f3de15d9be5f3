import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Leave-one-out by time: train is the first two items, validation the third, test the fourth.
const SEQUENCES: Record<string, string[]> = {
  u0: ['D', 'A', 'B', 'C'],
  u1: ['D', 'A', 'B', 'E'],
  u2: ['A', 'D', 'B', 'C'],
  u3: ['C', 'Q', 'Y', 'Z'],
  u4: ['C', 'R', 'Y', 'Z'],
};

function writeFile(): string {
  const lines = ['user_id:token\titem_id:token\ttimestamp:float'];
  for (const [u, items] of Object.entries(SEQUENCES)) items.forEach((i, t) => lines.push(`${u}\t${i}\t${100 + t}`));
  const path = join(dir, 'tiny.inter');
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('feed evaluate', () => {
  it('ranks the full catalogue with training items excluded and prints JSON and a table', async () => {
    const { stdout } = await run('node', ['bin/feed.js', 'evaluate', '--data', writeFile(), '--protocol', 'loo', '--k', '1,2', '--models', 'popular,itemknn,twotower', '--epochs', '2'], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    const [json, ...table] = stdout.trim().split('\n');
    const report = JSON.parse(json!);
    expect(report.models.map((m: { model: string }) => m.model)).toEqual(['popular', 'itemknn', 'twotower']);
    expect(report).toMatchObject({ users: 5, items: 9, interactions: 20, protocol: 'loo' });
    // popular: train counts D=3, A=3, C=2, Q=1, R=1. u0 and u2 (test C) hit at rank 1; u1 (E),
    // u3 and u4 (Z, score 0) miss within 2 once their train and validation items are excluded.
    const pop = report.models[0].test;
    expect(pop['hit@1']).toBeCloseTo(0.4);
    expect(pop['hit@2']).toBeCloseTo(0.4);
    expect(pop['mrr@2']).toBeCloseTo(0.4);
    expect(pop['ndcg@2']).toBeCloseTo(0.4);
    expect(pop['precision@2']).toBeCloseTo(0.2);
    for (const m of report.models) {
      for (const v of Object.values(m.test as Record<string, number>)) expect(v).toBeGreaterThanOrEqual(0);
      expect(Object.keys(m.test)).toHaveLength(10);
    }
    expect(table.join('\n')).toMatch(/popular\s+0\.4000/);
  });

  it('explains a bad file', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, 'user,item\n1,2\n');
    await expect(run('node', ['bin/feed.js', 'evaluate', '--data', path])).rejects.toMatchObject({ stderr: expect.stringMatching(/must name user_id, item_id and timestamp/) });
  });
});
