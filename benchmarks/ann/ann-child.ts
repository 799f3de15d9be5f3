/** Entry of the process ann-process.ts forks: runs measureAnn and sends the output back. */
import { ConfigSchema } from '../../config/schema.ts';
import { measureAnn } from './ann.ts';
import type { Job, Msg } from './ann-process.ts';

const send = (m: Msg) => process.send?.(m);
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
try {
  const output = await measureAnn({ smoke: job.smoke, repeats: job.repeats, items: job.items, config: ConfigSchema.parse(job.config), log: (message) => send({ type: 'log', message }) });
  send({ type: 'done', output });
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
}
process.disconnect?.();
