import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import { FeedError, isFeedError } from '../../core/errors.ts';
import type { ServedPage } from '../../experiments/router.ts';
import { FeedPipeline, FOLLOWING_STAGES } from '../../ranker/pipeline.ts';
import type { FeedRequest } from '../../ranker/types.ts';
import type { RouteModule } from '../app.ts';
import { decodeCursor, encodeCursor, startSession } from '../cursor.ts';
import { keyedLimiter, rateLimited } from '../middleware/rate-limit.ts';
import { FeedResponseSchema, type FeedResponse } from '../feed-response.ts';
import { renderEntries } from '../render.ts';
import { errorResponses, jsonContent } from '../openapi.ts';

export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -');

function feedQuerySchema(config: Config) {
  const { defaultCount, maxCount } = config.ranker.feed;
  return z.object({
    user_id: IdSchema.describe('the viewer; unknown ids get a cold-start feed'),
    count: z.coerce.number().int().min(1).max(maxCount).default(defaultCount).describe('entries on this page'),
    cursor: z.string().min(1).max(16_384).optional().describe('opaque cursor from the previous page of this session'),
    tab: z.enum(['for_you', 'following']).default('for_you').describe("for_you: the personalized feed; following: followed creators' recent videos, newest first, the ranker's order inside a day"),
    explain: z
      .enum(['0', '1', 'true', 'false'])
      .optional()
      .transform((v) => v === '1' || v === 'true')
      .describe('1: add sources, stage scores and removed candidates (admin keys only)'),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or zh-CN')
      .optional()
      .describe("the device's language, used for users the catalog does not know"),
  });
}

/** Builds a For You page: the pipeline, through the running experiment when there is one (experiments/router.ts). */
export type ServeFeed = (request: FeedRequest & { locale?: string }, requestId: string) => Promise<ServedPage>;

/** GET /v1/feed: one page of the personalized feed and the cursor for the next. */
export function feedRoutes(deps: { config: Config; pipeline: FeedPipeline; serve: ServeFeed }): RouteModule {
  const { config, serve } = deps;
  const following = new FeedPipeline(deps.pipeline.deps, FOLLOWING_STAGES);
  const Query = feedQuerySchema(config);
  const { bloomBits, bloomHashes } = config.ranker.feed;
  const perUser = keyedLimiter((k) => k.userRateLimitPerMinute);
  const readCursor = (userId: string, cursor: string) => {
    try {
      return decodeCursor(config.api.cursorSecret, userId, cursor);
    } catch (err) {
      if (!isFeedError(err, 'invalid_cursor')) throw err;
      throw new FeedError('invalid_cursor', `query.cursor ${err.message}`, { fields: [{ field: 'query.cursor', message: err.message }] });
    }
  };
  return {
    name: 'feed',
    register(app) {
      const route = createRoute({
        method: 'get',
        path: '/v1/feed',
        summary: 'A page of the feed: videos with product cards, shoppable slots, and the cursor for the next page',
        request: { query: Query },
        responses: {
          200: jsonContent('a page', FeedResponseSchema),
          ...errorResponses({
            400: 'invalid parameter or cursor',
            401: 'missing or unknown API key',
            403: 'explain=1 without an admin key',
            429: 'rate limit exceeded: for the API key, or for this user_id of the key',
          }),
        },
      });
      app.openapi(route, async (c) => {
        const q = c.req.valid('query');
        const key = c.get('apiKey');
        const wait = perUser(key, q.user_id);
        if (wait > 0) throw rateLimited(`rate limit of ${key.userRateLimitPerMinute}/min per user exceeded for user_id ${q.user_id}`, wait);
        if (q.explain && !c.get('apiKey')?.admin) throw new FeedError('forbidden', 'explain=1 needs an admin API key');
        const session = q.cursor ? readCursor(q.user_id, q.cursor) : startSession(bloomBits, bloomHashes);
        const requestId = c.get('requestId');
        const request = { userId: q.user_id, count: q.count, session, explain: q.explain, now: Date.now(), ...(q.locale ? { locale: q.locale } : {}) };
        // Experiments compare For You rankings; the Following tab is the same for everyone.
        const result: ServedPage = q.tab === 'following' ? await following.run(request) : await serve(request, requestId);
        const body: FeedResponse = {
          request_id: requestId,
          user_id: q.user_id,
          cursor: encodeCursor(config.api.cursorSecret, q.user_id, result.session),
          items: renderEntries(deps.pipeline.deps.catalog, result.entries),
          end_of_feed: result.endOfFeed,
          ...(result.explain ? { explain: result.explain } : {}),
          ...(result.experiment ? { experiment: result.experiment } : {}),
        };
        c.header('x-model-version', result.modelVersion ?? 'none');
        c.header('x-scorer', result.scorer ?? 'none');
        return c.json(body, 200);
      });
    },
  };
}
