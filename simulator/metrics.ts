import type { BenchTable } from '../core/table.ts';
import type { World } from './world/generate.ts';

/**
 * What a closed-loop run measured for one policy, split so that policies compare like for like:
 * video metrics count video entries only (every policy serves videos); commerce metrics include
 * product and live slots, which only policies with `commerceSlots` can serve.
 */
export interface PolicyReport {
  policy: string;
  /** Whether the policy can serve product and live slots (only the engine's blending does). */
  commerceSlots: boolean;
  users: number;
  sessions: number;
  /** Entries the users actually looked at (videos, product slots, live slots). */
  impressions: number;
  entriesPerSession: number;
  // Video metrics.
  /** Video watch time only, in seconds per session. */
  watchSecPerSession: number;
  /** Completions per video impression. */
  completionRate: number;
  /** Likes per video impression. */
  likeRate: number;
  /** Distinct videos shown / videos in the catalog. */
  coverage: number;
  /** Share of video impressions going to videos under 24 h old on the world's clock. */
  freshShare: number;
  /** Gini coefficient of video impressions over all creators (0 = even, 1 = one creator gets all). */
  creatorGini: number;
  // Commerce metrics.
  /** Share of entries that are product or live slots. */
  slotShare: number;
  /** Purchases (cards, product slots, live sales) per 1,000 entries. */
  purchasesPer1k: number;
  gmvPer1k: number;
  /** Of those, purchases from product cards on videos (which every policy shows). */
  cardPurchasesPer1k: number;
  /** Live-stream stay time, seconds per session. */
  liveStaySecPerSession: number;
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
  slots = 0;
  purchases = 0;
  cardPurchases = 0;
  gmv = 0;
  watchMs = 0;
  liveStayMs = 0;
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

  /** One product or live slot looked at. */
  slot(): void {
    this.impressions++;
    this.slots++;
  }

  /** One purchase; `fromCard` when it came from a product card on a video. */
  purchase(amount: number, fromCard: boolean): void {
    this.purchases++;
    if (fromCard) this.cardPurchases++;
    this.gmv += amount;
  }

  /** One video looked at; item and creator are world indexes or -1, age on the world's clock. */
  video(item: number, creator: number, ageSec: number, completed: boolean, liked: boolean): void {
    this.impressions++;
    if (item >= 0 && this.shown[item] === 0) {
      this.shown[item] = 1;
      this.distinct++;
    }
    if (creator >= 0) this.creatorImpressions[creator]!++;
    this.videoImpressions++;
    if (ageSec < 86_400) this.fresh++;
    if (completed) this.completions++;
    if (liked) this.likes++;
  }

  report(policy: string, commerceSlots: boolean): PolicyReport {
    const per = (x: number, n: number) => (n > 0 ? x / n : 0);
    return {
      policy,
      commerceSlots,
      users: this.users.size,
      sessions: this.sessions,
      impressions: this.impressions,
      entriesPerSession: per(this.impressions, this.sessions),
      watchSecPerSession: per(this.watchMs / 1000, this.sessions),
      completionRate: per(this.completions, this.videoImpressions),
      likeRate: per(this.likes, this.videoImpressions),
      coverage: per(this.distinct, this.world.items.count),
      freshShare: per(this.fresh, this.videoImpressions),
      creatorGini: gini(this.creatorImpressions),
      slotShare: per(this.slots, this.impressions),
      purchasesPer1k: per(this.purchases * 1000, this.impressions),
      gmvPer1k: per(this.gmv * 1000, this.impressions),
      cardPurchasesPer1k: per(this.cardPurchases * 1000, this.impressions),
      liveStaySecPerSession: per(this.liveStayMs / 1000, this.sessions),
      events: this.events,
      elapsedSec: (Date.now() - this.started) / 1000,
    };
  }
}

type Row = { label: string; key: keyof PolicyReport; digits: number; pct?: boolean };

const VIDEO_ROWS: Row[] = [
  { label: 'sessions', key: 'sessions', digits: 0 },
  { label: 'entries / session', key: 'entriesPerSession', digits: 1 },
  { label: 'video watch s / session', key: 'watchSecPerSession', digits: 1 },
  { label: 'completion rate', key: 'completionRate', digits: 1, pct: true },
  { label: 'like rate', key: 'likeRate', digits: 2, pct: true },
  { label: 'catalog coverage', key: 'coverage', digits: 1, pct: true },
  { label: 'fresh (<24 h) share', key: 'freshShare', digits: 1, pct: true },
  { label: 'creator Gini', key: 'creatorGini', digits: 3 },
];

const COMMERCE_ROWS: Row[] = [
  { label: 'product/live slot share', key: 'slotShare', digits: 1, pct: true },
  { label: 'purchases / 1k entries', key: 'purchasesPer1k', digits: 2 },
  { label: 'purchases from video cards / 1k', key: 'cardPurchasesPer1k', digits: 2 },
  { label: 'GMV / 1k entries (CNY)', key: 'gmvPer1k', digits: 0 },
  { label: 'live stay s / session', key: 'liveStaySecPerSession', digits: 1 },
];

const fmt = (r: PolicyReport, row: Row) => {
  const v = r[row.key] as number;
  return row.pct ? `${(v * 100).toFixed(row.digits)}%` : v.toLocaleString('en-US', { maximumFractionDigits: row.digits, minimumFractionDigits: row.digits });
};

/** A policy's column name, marked when it can serve commerce slots. */
const policyColumn = (r: PolicyReport) => (r.commerceSlots ? `${r.policy} (+slots)` : r.policy);

/** The two tables of a comparison (one column per policy): video metrics, then commerce metrics. */
export function policyTables(reports: readonly PolicyReport[]): BenchTable[] {
  const columns = ['metric', ...reports.map(policyColumn)];
  const table = (title: string, rows: Row[]) => ({ title, columns, rows: rows.map((row) => [row.label, ...reports.map((r) => fmt(r, row))]) });
  return [
    table('video metrics (video entries only; comparable across all policies)', VIDEO_ROWS),
    table('commerce metrics (per entry; only "+slots" policies can serve product and live slots)', COMMERCE_ROWS),
  ];
}
