import { z } from 'zod';
import { EVENT_KINDS, EVENT_SCHEMA_VERSION, MAX_CLOCK_SKEW_MS, MAX_EVENT_AGE_MS, REQUIRED_FIELDS } from './event-rules.ts';
import { fastEvent } from './fast-event.ts';

export {
  EVENT_KINDS,
  EVENT_SCHEMA_VERSION,
  POSITIVE_KINDS,
  isPositiveEngagement,
  isPositiveKind,
  type EventKind,
  type PositiveKind,
} from './event-rules.ts';

/** Ids of users, items, products, creators, live streams and events. */
export const idString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -');
const id = idString;
const shortText = z.string().max(64);
/** A BCP 47-style language tag. */
export const localeTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as zh or en-US');

const timestamp = z
  .union([z.number().int(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .refine((ms) => ms <= Date.now() + MAX_CLOCK_SKEW_MS, 'is more than an hour in the future')
  .refine((ms) => ms >= Date.now() - MAX_EVENT_AGE_MS, 'is older than 400 days');

export const EngagementEventSchema = z
  .object({
    schema_version: z.literal(EVENT_SCHEMA_VERSION).default(EVENT_SCHEMA_VERSION),
    event_id: id.describe("client-generated, unique among the user's events; (user_id, event_id) identifies an event for deduplication"),
    kind: z.enum(EVENT_KINDS),
    user_id: id,
    item_id: id.optional(),
    product_id: id.optional(),
    creator_id: id.optional().describe('target of follow/unfollow; a creator to hide on not_interested'),
    live_id: id.optional(),
    ts: timestamp.describe('epoch milliseconds or ISO-8601 with offset'),
    watch_ms: z.number().int().min(0).max(86_400_000).optional(),
    duration_ms: z.number().int().min(1).max(86_400_000).optional(),
    price: z.number().min(0).max(10_000_000).optional(),
    quantity: z.number().int().min(1).max(10_000).optional(),
    request_id: id.optional().describe('the feed response this event came from'),
    position: z.number().int().min(0).max(100_000).optional(),
    app: shortText.optional(),
    device: shortText.optional(),
    locale: localeTag.optional(),
  })
  .superRefine((e, ctx) => {
    for (const field of REQUIRED_FIELDS[e.kind] ?? []) {
      if (e[field as keyof typeof e] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${e.kind} events` });
      }
    }
    if (e.kind === 'not_interested' && !e.item_id && !e.creator_id) {
      ctx.addIssue({ code: 'custom', path: ['item_id'], message: 'not_interested needs item_id or creator_id' });
    }
  });

export type EngagementEvent = z.output<typeof EngagementEventSchema>;

export interface EventRejection {
  index: number;
  event_id?: string;
  reason: string;
}

/** Turns zod issues into one readable reason naming the fields. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
}

/** Validates one raw event; never throws. The common shape takes a fast path with the same result. */
export function parseEvent(raw: unknown): { ok: true; event: EngagementEvent } | { ok: false; reason: string } {
  const fast = fastEvent(raw);
  if (fast) return { ok: true, event: fast as EngagementEvent };
  const result = EngagementEventSchema.safeParse(raw);
  return result.success ? { ok: true, event: result.data } : { ok: false, reason: describeIssues(result.error) };
}

/**
 * What identifies an event: (user_id, event_id). Clients generate event ids, so two users may
 * pick the same one; a retry repeats both. Ids cannot contain a space, so this joins them unambiguously.
 */
export function eventKey(e: { user_id: string; event_id: string }): string {
  return `${e.user_id} ${e.event_id}`;
}
