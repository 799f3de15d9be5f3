/**
 * One open-loop step against a running feed server, as its own process (so the generator
 * never shares the server's event loop). Prints the StepResult as JSON.
 *   node --import tsx benchmarks/feed-pipeline/load.ts <baseUrl> <rate> <seconds> <users>
 */
import { BENCH_KEY } from '../feed/feed.ts';
import { openLoopStep } from '../feed/open-loop.ts';

const [baseUrl, rate, seconds, users] = process.argv.slice(2);
if (!baseUrl || !rate || !seconds || !users) throw new Error('usage: load.ts <baseUrl> <rate> <seconds> <users>');
const res = await openLoopStep({
  baseUrl,
  rate: Number(rate),
  durationS: Number(seconds),
  headers: { 'x-api-key': BENCH_KEY },
  path: (i) => `/v1/feed?user_id=u${(i * 7919) % Number(users)}&count=10`,
});
console.log(JSON.stringify(res));
