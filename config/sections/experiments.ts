import { z } from 'zod';

export const ExperimentsConfigSchema = z.object({
  /** How often a serving process inserts its buffered exposures (served entries with their arm) into ClickHouse. */
  exposureFlushMs: z.number().int().positive().default(1000),
  /** Confidence level of the report's intervals and significance calls. */
  confidence: z.number().gt(0.5).lt(1).default(0.95),
  /** Guardrail: an arm fails when its feed p99 exceeds the control's by this factor... */
  p99MaxRatio: z.number().min(1).default(1.2),
  /** ...and by at least this many milliseconds (so small, noisy p99s do not fail it). */
  p99MinExcessMs: z.number().min(0).default(5),
});
