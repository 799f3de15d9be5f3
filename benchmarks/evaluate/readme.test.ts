import { describe, expect, it } from 'vitest';
import { BenchResultSchema } from '../harness/result.ts';
import type { ModelReport } from '../../models/eval/evaluate.ts';
import { parseInteractions } from '../../models/eval/interactions.ts';
import { spliceEvaluations } from './readme.ts';
import { evaluationResult } from './result.ts';

const report = (model: string, ndcg: number): ModelReport => ({
  model,
  test: { 'recall@10': ndcg, 'mrr@10': ndcg, 'ndcg@10': ndcg, 'hit@10': ndcg, 'precision@10': ndcg },
  valid: { 'ndcg@10': ndcg },
  fitSeconds: 2,
  scoreSeconds: 1,
});

function result(seqNdcg: number[]) {
  return evaluationResult({
    name: 'amazon-games',
    file: 'games.tsv',
    data: parseInteractions('user_id,item_id,timestamp\na,x,1\na,y,2\nb,x,3\n'),
    protocol: 'loo',
    ks: [10],
    seeds: [1, 2, 3],
    runs: seqNdcg.map((n) => [report('twotower', 0.02), report('sasrec', n)]),
    started: Date.now(),
    cpuAtStart: null,
    git: { commit: 'test', dirty: false },
    backend: { name: 'wasm', reason: 'test' },
    params: {},
  });
}

describe('evaluation results and README tables', () => {
  it('judge the sequence model against the two-tower of the same run', () => {
    const r = BenchResultSchema.parse(result([0.03, 0.03, 0.03]));
    expect(r.benchmark).toBe('evaluate-amazon-games-loo');
    expect(r.references[0]).toMatchObject({ figure: 'sasrec ndcg@10', value: 0.02, ratio: 1.5 });
    expect(r.targets[0]).toMatchObject({ value: 1.5, met: true, applies: true });
    expect(BenchResultSchema.parse(result([0.02, 0.02, 0.03])).targets[0]).toMatchObject({ met: false });
  });

  it('replace only the marked block with the latest result of that benchmark', () => {
    const begin = '<!-- evaluate-amazon-games-loo:begin (generated from benchmarks/results/latest by `feed bench report`; edits inside are overwritten) -->';
    const readme = `# x\n\n${begin}\nold table\n<!-- evaluate-amazon-games-loo:end -->\n\nafter\n`;
    const once = spliceEvaluations(readme, [result([0.03, 0.03, 0.03])]);
    expect(once).not.toContain('old table');
    expect(once).toMatch(/\| sasrec \| 0\.0300 ± 0\.0000 \| 0\.0300 ± 0\.0000 \| 0\.0300 ± 0\.0000 \|/);
    expect(once).toContain('sasrec / twotower ndcg@10, means over seeds 1,2,3: **1.5**');
    expect(once.endsWith('after\n')).toBe(true);
    const updated = spliceEvaluations(once, [result([0.04, 0.04, 0.04])]);
    expect(updated).toContain('**2**');
    expect(updated.match(/evaluate-amazon-games-loo:begin/g)).toHaveLength(1);
  });
});
