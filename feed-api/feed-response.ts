import { z } from 'zod';

/** A product as embedded in the feed: a card on a video, a shoppable slot, or a live-stream item. */
export const ProductCardSchema = z.object({
  product_id: z.string(),
  title: z.string(),
  price: z.number(),
  currency: z.string(),
  image_url: z.string(),
  /** In-app deep link; buying never leaves the app. */
  buy_url: z.string(),
});

const common = {
  position: z.number().int(),
  /** Candidate source that produced this entry (ann, trending, fresh, following, social, i2i, locale, ...). */
  source: z.string(),
  score: z.number(),
};

/** The catalog fields of a video, shared by feed entries and item lookups. */
export const ItemFieldsSchema = z.object({
  item_id: z.string(),
  creator_id: z.string(),
  title: z.string(),
  category: z.string(),
  locale: z.string(),
  duration_ms: z.number().int(),
  published_at: z.number().int().describe('epoch seconds'),
});

const VideoEntrySchema = ItemFieldsSchema.extend({
  type: z.literal('video'),
  product: ProductCardSchema.nullable(),
  /** Social proof shown on the card, e.g. how many friends liked or bought. */
  social: z.object({ friends_engaged: z.number().int(), friends_purchased: z.number().int(), followed_creator: z.boolean() }),
  /** It took one of the page's exploration slots (the fresh pool's first audiences): exploration traffic is told apart from ranked traffic. */
  exploration: z.boolean(),
  /** It took a reserved slot for its promotion (a promotion slot, or an exploration slot given to a promoted video): the larger audience a video earned by how its first audience watched it. */
  promoted: z.boolean(),
  ...common,
});

const ProductSlotSchema = z.object({
  type: z.literal('product'),
  product: ProductCardSchema,
  creator_id: z.string().nullable(),
  ...common,
});

const LiveSlotSchema = z.object({
  type: z.literal('live'),
  live_id: z.string(),
  creator_id: z.string(),
  title: z.string(),
  product: ProductCardSchema.nullable(),
  ...common,
});

const FeedEntrySchema = z.discriminatedUnion('type', [VideoEntrySchema, ProductSlotSchema, LiveSlotSchema]);

export const FeedResponseSchema = z.object({
  request_id: z.string(),
  user_id: z.string(),
  /** Opaque, signed; pass it back to get the next page without repeats. */
  cursor: z.string(),
  items: z.array(FeedEntrySchema),
  /** true: nothing is left for this session (the page may be short); a new session starts over. Never a silently short page. */
  end_of_feed: z.boolean(),
  /** Present only with explain=1 and an admin key. */
  explain: z.unknown().optional(),
  /** The running experiment and the arm that served this page (`interleaved`: both arms' entries mixed). */
  experiment: z.object({ id: z.string(), arm: z.string() }).optional(),
});

export type ProductCard = z.infer<typeof ProductCardSchema>;
export type ItemFields = z.infer<typeof ItemFieldsSchema>;
export type FeedEntry = z.infer<typeof FeedEntrySchema>;
export type FeedResponse = z.infer<typeof FeedResponseSchema>;
