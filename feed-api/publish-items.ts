import { z } from 'zod';

const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -');

/**
 * One video in a `POST /v1/items` body (a JSON array of these): the catalog fields of a new
 * video. The simulator's new-item scenario sends it; the publish API (issue #19) validates with
 * this schema so both sides keep one shape.
 */
export const PublishItemSchema = z.object({
  item_id: id,
  creator_id: id,
  title: z.string().max(200),
  category: z.string().min(1).max(32),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as zh or en-US'),
  duration_ms: z.number().int().min(1).max(86_400_000),
  /** Epoch seconds; the server's now when absent. */
  published_at: z.number().int().positive().optional(),
  /** Product on the video's card, if any. */
  product_id: id.nullable().optional(),
});

export const PublishItemsBodySchema = z.array(PublishItemSchema).min(1).max(1000);

export type PublishItem = z.infer<typeof PublishItemSchema>;
