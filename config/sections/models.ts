import { z } from 'zod';
import { withRenamedKeys } from '../renamed-keys.ts';

const positive = z.number().positive();

export const RetrievalConfigSchema = z.object({
  /** Output dimension of both towers (the FAISS index dimension). */
  dim: z.number().int().min(4).max(512).default(64),
  /** Hidden units of each tower's dense layer (0: a single linear layer). */
  hidden: z.number().int().min(0).max(2048).default(128),
  /** Size of the small side-feature embeddings (locale, segment, category, creator, price band). */
  sideDim: z.number().int().min(2).max(128).default(16),
  /** Engagements pooled into the user vector, most recent first. */
  historyLength: z.number().int().min(1).max(1000).default(100),
  /** Share of history entries dropped at random from each training example (input dropout, as in Mult-VAE). */
  historyDropout: z.number().min(0).max(0.9).default(0.5),
  /** Softmax temperature on cosine similarity. */
  temperature: positive.max(1).default(0.1),
  /** Strength of the logQ popularity correction (Yi et al. 2019): 1 = full, 0 = none. */
  logQ: z.number().min(0).max(1).default(1),
  batchSize: z.number().int().min(8).max(8192).default(512),
  epochs: z.number().int().min(1).max(1000).default(20),
  /** Stop when the validation metric has not improved for this many epochs. */
  patience: z.number().int().min(1).default(3),
  /** Adam step size of the dense layers. */
  denseLearningRate: positive.default(0.002),
  /** Adagrad step size of the sparse embedding tables. */
  sparseLearningRate: positive.default(0.05),
  /** Occurrences before an id gets its own embedding row (Monolith's frequency filter). */
  minCount: z.number().int().min(1).default(1),
  /** Rows unseen for this many days are expired by the online trainer. */
  expireAfterDays: positive.default(30),
});

/** The multi-task scoring model (models/multitask/); `ranker` is the feed pipeline's section. */
export const MultitaskConfigSchema = z.object({
  /** MMoE widths: [shared bottom, each expert]. */
  hidden: z.tuple([z.number().int().min(1).max(1024), z.number().int().min(1).max(1024)]).default([64, 16]),
  /** Experts shared by the tasks, mixed per task by its gate. */
  experts: z.number().int().min(1).max(16).default(4),
  batchSize: z.number().int().min(8).max(8192).default(256),
  epochs: z.number().int().min(1).max(1000).default(10),
  learningRate: positive.default(0.003),
});

/**
 * Bounds of `feed train`'s replay of the training range, so its memory does not grow with the
 * number of events (it grows with users and items). Multi-task examples, held-out examples and
 * retrieval evaluation targets are reservoir samples (uniform over the range, seeded); a
 * sample equals the full set while the range has fewer.
 */
export const TrainingDataConfigSchema = withRenamedKeys(
  z.object({
    /** Multi-task model training examples kept (one per impression before the cutoff). */
    multitaskExamples: z.number().int().min(1).default(300_000),
    /** Held-out multi-task examples kept for evaluation (AUC, log loss, calibration). */
    multitaskTestExamples: z.number().int().min(1).default(100_000),
    /** Held-out retrieval targets kept for recall@k and MRR (each is ranked against every item). */
    retrievalTestExamples: z.number().int().min(1).default(2_000),
    /** Positive engagements per user the two-tower trains on: the most recent ones. */
    sequenceLength: z.number().int().min(1).default(500),
    /** Engaged and bought items remembered per user for friends' social proof: the most recent ones. */
    socialItemsPerUser: z.number().int().min(1).default(500),
  }),
  { rankerExamples: 'models.trainingData.multitaskExamples', rankerTestExamples: 'models.trainingData.multitaskTestExamples' },
);

/** Final score = sum of weight * prediction; purchase also scales by price times gmvWeight. */
const ObjectiveWeightsSchema = z
  .object({
    complete: z.number().min(0).default(1),
    watch: z.number().min(0).default(1),
    like: z.number().min(0).default(2),
    share: z.number().min(0).default(3),
    follow: z.number().min(0).default(2),
    purchase: z.number().min(0).default(5),
    /**
     * Weight of expected watch time: P(watch) x log2(1 + duration / 15 s) (models/objectives.ts
     * `watchTimeUnits`), so a longer video people watch through is worth more than a short one.
     */
    watchTime: z.number().min(0).default(1),
    /** Weight of expected GMV (P(purchase) x price), so shoppable items compete with organic ones. */
    gmv: z.number().min(0).default(0.02),
  })
  // gmv scales the purchase objective; it is not an objective of its own.
  .refine((w) => Object.entries(w).some(([k, v]) => k !== 'gmv' && v > 0), 'at least one objective needs a positive weight');

export const ModelsConfigSchema = withRenamedKeys(
  z
    .object({
      retrieval: RetrievalConfigSchema.prefault({}),
      multitask: MultitaskConfigSchema.prefault({}),
      weights: ObjectiveWeightsSchema.prefault({}),
      trainingData: TrainingDataConfigSchema.prefault({}),
      /**
       * V8 heap cap of the training thread (MiB). `trainingData` bounds what training keeps; the cap
       * makes V8 collect instead of growing its heap with every event streamed.
       */
      trainingHeapMb: z.number().int().min(256).default(1536),
      /** Share of the time range held out (the most recent events) for evaluation. */
      holdout: z.number().gt(0).lt(0.9).default(0.1),
      /**
       * Share of the time range, just before the holdout, whose impressions train the multi-task
       * model. The retrieval model first trains on the events before it and scores those
       * impressions (so their retrieval score is out of sample, as at serving), then catches up on
       * the window. 0: the whole range, with in-sample retrieval scores.
       */
      multitaskWindow: z.number().min(0).lt(0.9).default(0.3),
      /** How often serving checks the registry's promoted pointer. */
      watchIntervalMs: z.number().int().min(50).default(1000),
    })
    .refine((m) => m.holdout + m.multitaskWindow < 0.95, { message: 'holdout + multitaskWindow must leave at least 5% of the range to train retrieval on first', path: ['multitaskWindow'] }),
  // `ranker` is the feed pipeline's section (config/sections/ranker.ts); the model's is `multitask`.
  { ranker: 'models.multitask' },
);

export type RetrievalConfig = z.infer<typeof RetrievalConfigSchema>;
export type MultitaskConfig = z.infer<typeof MultitaskConfigSchema>;
export type TrainingDataConfig = z.infer<typeof TrainingDataConfigSchema>;
export type ObjectiveWeights = z.infer<typeof ObjectiveWeightsSchema>;
