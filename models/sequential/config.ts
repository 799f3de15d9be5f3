import { z } from 'zod';

const positive = z.number().positive();

/**
 * The sequence-aware user tower (SASRec-style). Defaults follow the SASRec paper and its public
 * code for sparse sets (d = 64, 2 blocks, 1 head, maxlen 50, dropout 0.5 for Amazon-sized data)
 * rather than values fitted to one file; the loss is a sampled softmax over many negatives.
 */
export const SequentialConfigSchema = z.object({
  /** Embedding and hidden size. */
  dim: z.number().int().min(8).max(256).default(64),
  /** Most recent events a user is encoded from. */
  maxLen: z.number().int().min(2).max(500).default(50),
  /** Causal self-attention blocks. */
  blocks: z.number().int().min(1).max(4).default(2),
  /** Dropout on the token embeddings and after attention and feed-forward layers. */
  dropout: z.number().min(0).max(0.9).default(0.5),
  /** Sequences per training step. */
  batchSize: z.number().int().min(8).max(4096).default(128),
  /** Other rows' targets used as every row's negatives per step (in-batch negatives). */
  inBatchNegatives: z.number().int().min(0).max(65536).default(512),
  /** Negatives sampled per step on top of the in-batch ones, shared by all rows. */
  negatives: z.number().int().min(0).max(65536).default(512),
  /** Share of the sampled negatives drawn uniformly from the items; the rest follow popularity. */
  uniformShare: z.number().min(0).max(1).default(0.5),
  /** Softmax temperature on cosine similarity (as the two-tower's). */
  temperature: positive.max(1).default(0.1),
  /** Upper bound; early stopping usually ends sooner (amazon-games reaches its plateau at about 35-40, ml-100k at about 20). */
  epochs: z.number().int().min(1).max(1000).default(40),
  /** Stop when the validation metric has not improved for this many epochs. */
  patience: z.number().int().min(1).default(3),
  /** Adam step size of the attention and feed-forward weights. */
  denseLearningRate: positive.default(0.001),
  /** Adagrad step size of the sparse embedding tables (items, positions, event kinds, ...). */
  sparseLearningRate: positive.default(0.05),
});

export type SequentialConfig = z.infer<typeof SequentialConfigSchema>;
