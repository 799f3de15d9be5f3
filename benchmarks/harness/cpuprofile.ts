/**
 * Top functions by self time in a V8 CPU profile (from BENCH_CPU_PROF=<dir> or node --cpu-prof):
 *   node --import tsx benchmarks/harness/cpuprofile.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface HotFunction {
  name: string;
  where: string;
  self_ms: number;
  share: number;
}

export function hotFunctions(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, top = 20): HotFunction[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)?.callFrame;
    if (!f) return;
    const where = `${f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'node_modules/' : ''))}:${f.lineNumber + 1}`;
    const key = `${f.functionName}@${where}`;
    const e = selfUs.get(key) ?? { name: f.functionName || '(anonymous)', where, us: 0 };
    e.us += dt;
    selfUs.set(key, e);
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, self_ms: Math.round(e.us / 1000), share: total ? e.us / total : 0 }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpuprofile.ts <file.cpuprofile> [top]');
  for (const h of hotFunctions(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 20))) {
    console.log(`${(h.share * 100).toFixed(1).padStart(5)}%  ${String(h.self_ms).padStart(7)} ms  ${h.name}  ${h.where}`);
  }
}
