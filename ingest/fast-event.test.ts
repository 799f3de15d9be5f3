import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, EngagementEventSchema, parseEvent } from './events.ts';
import { fastEvent } from './fast-event.ts';
import { Rng } from '../core/rng.ts';

const NOW = Date.now();
const DAY = 86_400_000;

/** One valid event of each kind, every optional field filled. */
function fullEvent(kind: string, i: number): Record<string, unknown> {
  return {
    schema_version: 1,
    event_id: `e-${i}`,
    kind,
    user_id: `u:${i}`,
    item_id: `i_${i}`,
    product_id: `p.${i}`,
    creator_id: `c-${i}`,
    live_id: `l${i}`,
    ts: NOW - i,
    watch_ms: 1200,
    duration_ms: 5000,
    price: 19.99,
    quantity: 2,
    request_id: `r-${i}`,
    position: 3,
    app: 'demo app',
    device: 'ios\t17',
    locale: 'en-US',
  };
}

/** Values to put in a field: valid and invalid ones, near every bound. */
const CANDIDATES: unknown[] = [
  undefined,
  null,
  '',
  'ok',
  'a b',
  'x'.repeat(64),
  'x'.repeat(65),
  'ü',
  'en',
  'zh-Hans-CN',
  'EN',
  'e-1',
  0,
  -1,
  1,
  1.5,
  2,
  64,
  86_400_000,
  86_400_001,
  10_000,
  10_001,
  100_000,
  100_001,
  10_000_000,
  10_000_001,
  2 ** 53,
  -0.5,
  Number.NaN,
  Infinity,
  NOW,
  NOW + 3_500_000,
  NOW + 3_700_000,
  NOW - 399 * DAY,
  NOW - 401 * DAY,
  new Date(NOW).toISOString(),
  '2020-01-01',
  true,
  [],
  {},
  ['a'],
  ...EVENT_KINDS,
  'teleport',
];
const FIELDS = Object.keys(fullEvent('play', 0));

function check(raw: unknown): 'fast' | 'zod-only' | 'rejected' {
  const zod = EngagementEventSchema.safeParse(raw);
  const fast = fastEvent(raw);
  if (fast !== undefined) {
    // Never more permissive than the schema, and the same output, key order included.
    expect({ raw, success: zod.success }).toEqual({ raw, success: true });
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
    return 'fast';
  }
  return zod.success ? 'zod-only' : 'rejected';
}

describe('fastEvent, the fast path of the event schema', () => {
  it('takes the fast path for every kind in its usual shape, with the output zod gives', () => {
    EVENT_KINDS.forEach((kind, i) => {
      const full = fullEvent(kind, i);
      expect(check(full)).toBe('fast');
      const minimal = Object.fromEntries(Object.entries(full).filter(([k]) => ['event_id', 'kind', 'user_id', 'ts', 'item_id'].includes(k)));
      if (EngagementEventSchema.safeParse(minimal).success) expect(check(minimal)).toBe('fast');
    });
    // Unknown keys are dropped, schema_version defaults to 1, as in the schema.
    const extra = { event_id: 'x', kind: 'like', user_id: 'u', item_id: 'i', ts: NOW, debug: { a: 1 } };
    expect(fastEvent(extra)).toEqual({ schema_version: 1, event_id: 'x', kind: 'like', user_id: 'u', item_id: 'i', ts: NOW });
  });

  it('leaves unusual but valid input (an ISO-8601 ts) to the schema', () => {
    const iso = { ...fullEvent('like', 1), ts: new Date(NOW).toISOString() };
    expect(fastEvent(iso)).toBeUndefined();
    expect(parseEvent(iso)).toMatchObject({ ok: true, event: { ts: NOW } });
  });

  it('never accepts what the schema rejects, over every field set to every candidate value', () => {
    const seen = { fast: 0, 'zod-only': 0, rejected: 0 };
    for (const kind of EVENT_KINDS) {
      for (const field of FIELDS) {
        for (const value of CANDIDATES) {
          const e = fullEvent(kind, 7);
          if (value === undefined) delete e[field];
          else e[field] = value;
          seen[check(e)]++;
        }
      }
    }
    for (const raw of [null, undefined, 'event', 42, [], [fullEvent('like', 1)]]) seen[check(raw)]++;
    expect(seen.rejected).toBeGreaterThan(1000);
    expect(seen.fast).toBeGreaterThan(1000);
  });

  it('never accepts what the schema rejects, over random sparse events with several fields changed', () => {
    // Seeded, so a failure reproduces.
    const random = new Rng(42).next;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const seen = { fast: 0, 'zod-only': 0, rejected: 0 };
    for (let n = 0; n < 20_000; n++) {
      const e = fullEvent(pick(EVENT_KINDS), n);
      for (const field of FIELDS) if (random() < 0.4) delete e[field];
      const changes = 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) e[pick(FIELDS)] = pick(CANDIDATES);
      seen[check(e)]++;
    }
    expect(seen.fast).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(100);
  });
});
