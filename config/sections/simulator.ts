import { z } from 'zod';

/** The demo world and closed-loop runs (`feed seed`, `feed simulate`, `feed start`). */
export const SimulatorConfigSchema = z.object({
  /** Videos in the demo world. */
  items: z.number().int().min(10).max(20_000_000).default(20_000),
  /** People in the demo world. */
  users: z.number().int().min(2).max(5_000_000).default(2_000),
  /** Days of historical events `feed seed` sends through Kafka (0: none). */
  days: z.number().int().min(0).max(365).default(7),
  /** Entries asked for per GET /v1/feed page. */
  pageSize: z.number().int().min(1).max(100).default(10),
  /** Hard cap on entries per session; fatigue normally ends sessions first. */
  maxEntriesPerSession: z.number().int().min(1).max(10_000).default(200),
  /** Catalog rows per ClickHouse insert and events per Kafka send while seeding. */
  insertBatch: z.number().int().min(100).max(1_000_000).default(20_000),
  eventBatch: z.number().int().min(1).max(100_000).default(5_000),
});
