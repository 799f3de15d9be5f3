import type { World } from './world/generate.ts';

/** What a closed-loop run measured for one policy. */
export interface PolicyReport {
  policy: string;
  users: number;
  sessions: number;
  /** Entries the users actually looked at (videos, product slots, live slots). */
  impressions: number;
  entriesPerSession: number;
  /** Video watch time plus live-stream stay time, in seconds per session. */
  watchSecPerSession: number;
  /** Completions per video impression. */
  completionRate: number;
  /** Likes per video impression. */
  likeRate: number;
  purchasesPer1k: number;
  gmvPer1k: number;
  /** Distinct videos shown / videos in the catalog. */
  coverage: number;
  /** Share of video impressions going to videos under 24 h old at the time. */
  freshShare: number;
  /** Gini coefficient of impressions over all creators (0 = even, 1 = one creator gets all). */
  creatorGini: number;
  events: number;
  elapsedSec: number;
}

/** Gini coefficient of non-negative values (sorted copy; 0 for all zeros). */
export function gini(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const n = sorted.length;
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    sum += sorted[i]!;
    weighted += (i + 1) * sorted[i]!;
  }
  return n === 0 || sum === 0 ? 0 : (2 * weighted) / (n * sum) - (n + 1) / n;
}

export class MetricsAccumulator {
  sessions = 0;
  impressions = 0;
  videoImpressions = 0;
  completions = 0;
  likes = 0;
  purchases = 0;
  gmv = 0;
  watchMs = 0;
  fresh = 0;
  events = 0;
  private readonly shown: Uint8Array;
  private distinct = 0;
  private readonly creatorImpressions: Float64Array;
  private readonly users = new Set<number>();
  private readonly started = Date.now();

  constructor(private readonly world: World) {
    this.shown = new Uint8Array(world.items.count);
    this.creatorImpressions = new Float64Array(world.creators.count);
  }

  session(user: number): void {
    this.sessions++;
    this.users.add(user);
  }

  /** One entry looked at; item and creator are world indexes or -1. */
  entry(item: number, creator: number): void {
    this.impressions++;
    if (item >= 0 && this.shown[item] === 0) {
      this.shown[item] = 1;
      this.distinct++;
    }
    if (creator >= 0) this.creatorImpressions[creator]!++;
  }

  video(ageSec: number, completed: boolean, liked: boolean): void {
    this.videoImpressions++;
    if (ageSec < 86_400) this.fresh++;
    if (completed) this.completions++;
    if (liked) this.likes++;
  }

  report(policy: string): PolicyReport {
    const per = (x: number, n: number) => (n > 0 ? x / n : 0);
    return {
      policy,
      users: this.users.size,
      sessions: this.sessions,
      impressions: this.impressions,
      entriesPerSession: per(this.impressions, this.sessions),
      watchSecPerSession: per(this.watchMs / 1000, this.sessions),
      completionRate: per(this.completions, this.videoImpressions),
      likeRate: per(this.likes, this.videoImpressions),
      purchasesPer1k: per(this.purchases * 1000, this.impressions),
      gmvPer1k: per(this.gmv * 1000, this.impressions),
      coverage: per(this.distinct, this.world.items.count),
      freshShare: per(this.fresh, this.videoImpressions),
      creatorGini: gini(this.creatorImpressions),
      events: this.events,
      elapsedSec: (Date.now() - this.started) / 1000,
    };
  }
}

const ROWS: { label: string; key: keyof PolicyReport; digits: number; pct?: boolean }[] = [
  { label: 'users', key: 'users', digits: 0 },
  { label: 'sessions', key: 'sessions', digits: 0 },
  { label: 'impressions', key: 'impressions', digits: 0 },
  { label: 'entries / session', key: 'entriesPerSession', digits: 1 },
  { label: 'watch s / session', key: 'watchSecPerSession', digits: 1 },
  { label: 'completion rate', key: 'completionRate', digits: 1, pct: true },
  { label: 'like rate', key: 'likeRate', digits: 2, pct: true },
  { label: 'purchases / 1k impr', key: 'purchasesPer1k', digits: 2 },
  { label: 'GMV / 1k impr (CNY)', key: 'gmvPer1k', digits: 0 },
  { label: 'catalog coverage', key: 'coverage', digits: 1, pct: true },
  { label: 'fresh (<24h) share', key: 'freshShare', digits: 1, pct: true },
  { label: 'creator Gini', key: 'creatorGini', digits: 3 },
  { label: 'events', key: 'events', digits: 0 },
  { label: 'run time s', key: 'elapsedSec', digits: 1 },
];

/** Policies side by side, one column each. */
export function formatTable(reports: readonly PolicyReport[]): string {
  const fmt = (r: PolicyReport, row: (typeof ROWS)[number]) => {
    const v = r[row.key] as number;
    return row.pct ? `${(v * 100).toFixed(row.digits)}%` : v.toLocaleString('en-US', { maximumFractionDigits: row.digits, minimumFractionDigits: row.digits });
  };
  const cells = [['metric', ...reports.map((r) => r.policy)], ...ROWS.map((row) => [row.label, ...reports.map((r) => fmt(r, row))])];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((line) => line[c]!.length)));
  const line = (cols: string[]) => cols.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
