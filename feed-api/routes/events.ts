import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { FeedError, isFeedError } from '../../core/errors.ts';
import { childLogger } from '../../core/logger.ts';
import { EngagementEventSchema, eventKey, parseEvent, type EngagementEvent, type EventRejection } from '../../ingest/events.ts';
import type { OnlineState } from '../../ingest/online-state.ts';
import type { EventProducer } from '../../ingest/producer.ts';
import type { RouteModule } from '../app.ts';
import { ErrorSchema } from '../errors.ts';
import { batchSchema, errorResponses, jsonContent } from '../openapi.ts';
import { jsonBody } from '../validate.ts';

const RejectionSchema = z.object({
  index: z.number().int().describe('position of the event in the request'),
  event_id: z.string().optional(),
  reason: z.string(),
});

const EventsResponseSchema = z.object({
  accepted: z.array(z.string()).describe('event_ids acknowledged by Kafka'),
  rejected: z.array(RejectionSchema),
});

/** The 400 when no event was valid: the error and why each event was rejected. */
const NoValidEventsSchema = ErrorSchema.extend({ accepted: z.array(z.string()).max(0), rejected: z.array(RejectionSchema) });

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
    register(app) {
      const route = createRoute({
        method: 'post',
        path: '/v1/events',
        summary: `Record engagement events (batch of up to ${max}); answers after Kafka acknowledges`,
        middleware: [jsonBody()],
        request: {
          // Each event is validated on its own below; the envelope only needs a non-empty array.
          body: { required: true, content: { 'application/json': { schema: z.object({ events: batchSchema(app, 'EngagementEvent', EngagementEventSchema, max, 'event') }) } } },
        },
        responses: {
          200: jsonContent('at least one event accepted; the others are listed with reasons', EventsResponseSchema),
          400: jsonContent('no valid event, or a malformed body', NoValidEventsSchema),
          ...errorResponses({
            413: 'body or batch too large',
            415: 'content-type is not application/json',
            503: 'Kafka unavailable; retry with the same event_ids',
          }),
        },
      });

      app.openapi(route, async (c) => {
        const raw = c.req.valid('json').events;
        if (raw.length > max) {
          throw new FeedError('too_many_events', `a batch may hold at most ${max} events, got ${raw.length}; split it`);
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
          if (!isFeedError(err, 'kafka_unavailable')) throw err;
          log.warn({ err: err.message, events: accepted.length }, 'events not acknowledged by Kafka');
          throw new FeedError('kafka_unavailable', 'the event log did not acknowledge the batch; retry with the same event_ids', { cause: err, retryAfterS: 1 });
        }
        onlineState?.apply(accepted);
        return c.json({ accepted: accepted.map((e) => e.event_id), rejected }, 200);
      });
    },
  };
}
