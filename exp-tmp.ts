import { initBackend } from './models/backend.ts';
import { popular } from './models/eval/baselines.ts';
import { evaluateModels } from './models/eval/evaluate.ts';
import { readInteractions } from './models/eval/interactions.ts';
import { sasRecRecommender } from './models/eval/sequential-recommender.ts';
import { splitInteractions, type Protocol } from './models/eval/split.ts';
import { SequentialConfigSchema } from './models/sequential/config.ts';
import { twoTowerRecommender } from './models/eval/two-tower-recommender.ts';
import { RetrievalConfigSchema } from './models/config.ts';
await initBackend();
const [file, protocol, model, json] = process.argv.slice(2) as [string, Protocol, string, string];
const data = readInteractions(file);
const split = splitInteractions(data, protocol, 1);
const t0 = Date.now();
const rec = model === 'twotower' ? twoTowerRecommender(RetrievalConfigSchema.parse(JSON.parse(json)), { onValidate: (e, n) => console.log(`epoch ${e} valid ${n.toFixed(4)} ${((Date.now() - t0) / 1000).toFixed(0)} s`) })
  : sasRecRecommender(SequentialConfigSchema.parse(JSON.parse(json)), { onValidate: (e, n) => console.log(`epoch ${e} valid ${n.toFixed(4)} ${((Date.now() - t0) / 1000).toFixed(0)} s`) });
const reports = await evaluateModels(data, split, protocol, [popular(), rec], [10], 1);
for (const r of reports) console.log(r.model, 'test ndcg@10', r.test['ndcg@10']!.toFixed(4), 'fit', r.fitSeconds.toFixed(0), JSON.stringify(r.info ?? {}));
