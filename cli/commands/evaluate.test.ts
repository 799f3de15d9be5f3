import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BenchResultSchema } from '../../benchmarks/harness/result.ts';
import { registerEvaluateCommands } from './evaluate.ts';

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

const env = { ...process.env, LOG_LEVEL: 'info' };

/**
 * The command in this process (starting the CLI costs more than a tiny evaluation): what it
 * writes to stdout, or the error `feed` would print. The first test runs the real CLI, whose
 * stdout must hold the JSON alone.
 */
async function evaluate(args: string[]): Promise<string> {
  const program = new Command().exitOverride().option('-c, --config <file>');
  registerEvaluateCommands(program);
  const out: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['evaluate', ...args], { from: 'user' });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return out.join('');
}

describe('feed evaluate', () => {
  const data = join(dir, 'tiny.inter');
  const lines = ['user_id:token\titem_id:token\trating:float\ttimestamp:float'];
  for (const [u, items] of Object.entries(SEQUENCES)) items.forEach((i, t) => lines.push(`${u}\t${i}\t${u === 'u3' ? 5 : 1}\t${100 + t}`));
  writeFileSync(data, lines.join('\n'));

  it('--json prints only a BenchResult with mean ± std over --seeds and writes the same file', async () => {
    const out = join(dir, 'results');
    const { stdout, stderr } = await run(
      'node',
      [
        'bin/feed.js',
        'evaluate',
        '--data',
        data,
        '--protocol',
        'loo',
        '--k',
        '1,2',
        '--models',
        'popular,itemknn,twotower,sasrec',
        '--epochs',
        '1',
        '--seeds',
        '1,2',
        '--name',
        'tiny',
        '--out',
        out,
        '--json',
      ],
      { env },
    );
    const result = BenchResultSchema.parse(JSON.parse(stdout));
    expect(result).toMatchObject({ benchmark: 'evaluate-tiny-loo', repeats: 2, dataset: { users: 5, items: 9, interactions: 20 }, params: { protocol: 'loo', seeds: [1, 2] } });
    // One time-stamped file, and (a full run) its copy as the committed latest result.
    expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, 'latest', 'evaluate-tiny-loo.json'), 'utf8'))).toMatchObject({ benchmark: 'evaluate-tiny-loo', date: result.date });
    const runs = result.series.runs!;
    expect(runs.map((r) => `${r.seed}:${r.model}`)).toEqual(['1:popular', '1:itemknn', '1:twotower', '1:sasrec', '2:popular', '2:itemknn', '2:twotower', '2:sasrec']);
    // popular, implicit (u3's rating 5 ignored): train counts D=3, A=3, C=2, Q=1, R=1. u0 and u2
    // (test C) hit at rank 1; the others miss once train and validation items are excluded.
    const pop = runs.filter((r) => r.model === 'popular');
    for (const r of pop) expect(r).toMatchObject({ 'hit@1': 0.4, 'ndcg@2': 0.4, 'precision@2': 0.2 });
    expect(result.tables[0]!.rows[0]!.slice(0, 2)).toEqual(['popular', '0.4000 ± 0.0000']);
    expect(result.references.map((r) => r.figure)).toEqual(['sasrec ndcg@1']);
    expect(result.dataset.weights).toMatch(/implicit/);
    // A progress line per trained model, seed and epoch on stderr.
    for (const model of ['twotower', 'sasrec']) {
      for (const seed of [1, 2])
        expect(stderr).toMatch(new RegExp(`${model} seed ${seed} epoch 1/1: loss \\d+\\.\\d{4}, validation ndcg@1 \\d\\.\\d{4} \\(best \\d\\.\\d{4}\\), train \\d+\\.\\d s, validation \\d+\\.\\d s`));
    }
  });

  it('weights rows only with --weight-column, and explains a missing one', async () => {
    const stdout = await evaluate(['--data', data, '--models', 'popular', '--k', '1', '--weight-column', 'rating', '--out', join(dir, 'weighted'), '--json']);
    expect(JSON.parse(stdout).dataset.weights).toBe('rating');
    await expect(evaluate(['--data', data, '--models', 'popular', '--weight-column', 'watch_ms', '--out', join(dir, 'weighted')])).rejects.toThrow(/no column "watch_ms"/);
  });

  it('prints a table without --json, and explains a bad file', async () => {
    const stdout = await evaluate(['--data', data, '--protocol', 'loo', '--models', 'popular', '--k', '1', '--out', join(dir, 'table')]);
    expect(stdout).toMatch(/popular\s+0\.4000 ± 0\.0000/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'user,item\n1,2\n');
    await expect(evaluate(['--data', bad])).rejects.toThrow(/must name user_id, item_id and timestamp/);
  });
});
