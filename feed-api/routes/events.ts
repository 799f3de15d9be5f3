import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { childLogger } from '../../core/logger.ts';
import { EngagementEventSchema, eventKey, parseEvent, type EngagementEvent, type EventRejection } from '../../ingest/events.ts';
import type { OnlineState } from '../../ingest/online-state.ts';
import { ProduceError, type EventProducer } from '../../ingest/producer.ts';
import type { RouteModule } from '../app.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../validate.ts';

const RejectionSchema = z.object({
  index: z.number().int().describe('position of the event in the request'),
  event_id: z.string().optional(),
  reason: z.string(),
});

export const EventsResponseSchema = z.object({
  accepted: z.array(z.string()).describe('event_ids acknowledged by Kafka'),
  rejected: z.array(RejectionSchema),
});

const ErrorWithRejectionsSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
  accepted: z.array(z.string()).max(0),
  rejected: z.array(RejectionSchema),
});

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The envelope is checked first; each event is then validated on its own. */
const EnvelopeSchema = z.object({ events: z.array(z.unknown()).min(1, 'must contain at least one event') });

const log = childLogger('events-api');

/**
 * POST /v1/events. Status codes:
 * - 200: at least one event accepted (acknowledged by Kafka, acks = all); `rejected` lists the rest.
 * - 400: no event was valid (`rejected` says why for each), invalid JSON, or no `events` array.
 * - 413: body over `api.maxBodyBytes`, or more than `api.maxEventsPerBatch` events.
 * - 415: content-type is not application/json.
 * - 503: Kafka did not acknowledge in time; nothing is known to be stored, retry with the
 *   same event_ids (duplicates are dropped by (user_id, event_id) downstream).
 */
export function eventsRoutes(deps: { config: Config; producer: EventProducer; onlineState?: OnlineState }): RouteModule {
  const { config, producer, onlineState } = deps;
  const max = config.api.maxEventsPerBatch;
  return {
    name: 'events',
    register(app, openapi) {
      openapi.registerPath({
        method: 'post',
        path: '/v1/events',
        summary: `Record engagement events (batch of up to ${max}); answers after Kafka acknowledges`,
        request: {
          body: {
            required: true,
            content: { 'application/json': { schema: z.object({ events: z.array(EngagementEventSchema).min(1).max(max) }) } },
          },
        },
        responses: {
          200: { description: 'at least one event accepted; the others are listed with reasons', content: { 'application/json': { schema: EventsResponseSchema } } },
          400: { description: 'no valid event, or a malformed body', content: { 'application/json': { schema: ErrorWithRejectionsSchema } } },
          413: { description: 'body or batch too large', content: { 'application/json': { schema: ErrorSchema } } },
          415: { description: 'content-type is not application/json', content: { 'application/json': { schema: ErrorSchema } } },
          503: { description: 'Kafka unavailable; retry with the same event_ids', content: { 'application/json': { schema: ErrorSchema } } },
        },
      });

      app.post('/v1/events', async (c) => {
        const envelope = EnvelopeSchema.safeParse(await readJson(c));
        if (!envelope.success) throw ApiError.fromZod(envelope.error, 'body');
        const raw = envelope.data.events;
        if (raw.length > max) {
          throw new ApiError(413, 'too_many_events', `a batch may hold at most ${max} events, got ${raw.length}; split it`);
        }

        const accepted: EngagementEvent[] = [];
        const rejected: EventRejection[] = [];
        const ids = new Set<string>();
        raw.forEach((item, index) => {
          const parsed = parseEvent(item);
          const rawId = (item as { event_id?: unknown } | null)?.event_id;
          const eventId = typeof rawId === 'string' && rawId.length <= 64 ? rawId : undefined;
          if (!parsed.ok) rejected.push({ index, ...(eventId ? { event_id: eventId } : {}), reason: parsed.reason });
          else if (ids.has(eventKey(parsed.event))) rejected.push({ index, event_id: parsed.event.event_id, reason: 'event_id: repeated for this user in this batch' });
          else {
            ids.add(eventKey(parsed.event));
            accepted.push(parsed.event);
          }
        });

        if (accepted.length === 0) {
          return c.json({ error: { code: 'no_valid_events', message: `all ${raw.length} events were rejected; see rejected[]` }, accepted: [], rejected }, 400);
        }
        try {
          await producer.send(accepted);
        } catch (err) {
          if (!(err instanceof ProduceError)) throw err;
          log.warn({ err: err.message, events: accepted.length }, 'events not acknowledged by Kafka');
          throw new ApiError(503, 'kafka_unavailable', 'the event log did not acknowledge the batch; retry with the same event_ids', undefined, { 'retry-after': '1' });
        }
        onlineState?.apply(accepted);
        return c.json({ accepted: accepted.map((e) => e.event_id), rejected }, 200);
      });
    },
  };
}
