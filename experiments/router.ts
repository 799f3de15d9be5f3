import { Histogram } from 'prom-client';
import { childLogger } from '../core/logger.ts';
import { metrics } from '../core/metrics.ts';
import type { PromotedModels } from '../models/serving.ts';
import { ModelHolder } from '../ranker/models.ts';
import { FeedPipeline, type FeedResult } from '../ranker/pipeline.ts';
import { BloomFilter, type SessionState } from '../ranker/session.ts';
import type { ServingCatalog } from '../ranker/catalog/serving-catalog.ts';
import type { FeedRequest, PageEntry } from '../ranker/types.ts';
import { assignArm } from './assign.ts';
import type { ExposureLog, ExposureRow } from './exposures.ts';
import { teamDraft } from './interleave.ts';
import { armConfig, type Arm, type Experiment } from './store.ts';

/** The arm label of interleaved pages in latency metrics (both arms' pipelines run for each). */
const INTERLEAVED = 'interleaved';

/** Request latency per experiment arm: the report's p99 guardrail reads it from /metrics. */
export const ARM_LATENCY_METRIC = 'feed_experiment_request_seconds';
const armLatency = new Histogram({
  name: ARM_LATENCY_METRIC,
  help: 'Feed request time by experiment arm (pipeline only, without HTTP)',
  labelNames: ['experiment', 'arm'],
  buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
  registers: [metrics],
});

export interface ServedPage extends FeedResult {
  /** The experiment and arm that served this page (arm `interleaved` for team-draft pages). */
  experiment?: { id: string; arm: string };
}

interface LiveArm {
  arm: Arm;
  pipeline: FeedPipeline;
}

interface LiveExperiment {
  experiment: Experiment;
  arms: LiveArm[];
}

/**
 * Serves feed requests through the running experiment: picks the user's arm (A/B) or
 * interleaves the two arms' pages (team draft), and logs every served entry with its arm.
 * Each arm is a FeedPipeline over the shared catalog, online state and traffic pool, with the
 * arm's config overlay and, when it pins a version, its own models: a promotion changes the
 * arms that follow the promoted version and never a pinned one.
 */
export class ExperimentRouter {
  private live: LiveExperiment | undefined;
  /** Bumped by every `set`, so a slow model load never installs an experiment replaced meanwhile. */
  private generation = 0;
  private readonly log = childLogger('experiments');

  constructor(
    private readonly base: FeedPipeline,
    private readonly loadModels: (version: string) => Promise<PromotedModels>,
    private readonly exposures: ExposureLog | null,
  ) {}

  /** The experiment being served, if any. */
  get current(): Experiment | undefined {
    return this.live?.experiment;
  }

  /** Switches to `experiment` (undefined: none) once the arms' pinned models are loaded. */
  async set(experiment: Experiment | undefined): Promise<void> {
    const generation = ++this.generation;
    if (!experiment) {
      this.live = undefined;
      return;
    }
    try {
      await this.install(experiment, generation);
    } catch (err) {
      // The registry no longer runs what was served before: serve without an experiment rather than a stale one.
      if (generation === this.generation) this.live = undefined;
      throw err;
    }
  }

  private async install(experiment: Experiment, generation: number): Promise<void> {
    const config = this.base.deps.config;
    const holders = new Map<string, ModelHolder>();
    const arms: LiveArm[] = [];
    for (const arm of experiment.arms) {
      let models = this.base.deps.models;
      if (arm.model) {
        let holder = holders.get(arm.model);
        if (!holder) {
          holder = new ModelHolder(config, this.base.deps.catalog.items);
          await holder.swap(await this.loadModels(arm.model));
          if (holder.current?.version !== arm.model) throw new Error(`experiment ${experiment.id}: arm ${arm.name} could not load model version ${arm.model}`);
          holders.set(arm.model, holder);
        }
        const h = holder;
        models = () => h.current;
      }
      arms.push({ arm, pipeline: new FeedPipeline({ ...this.base.deps, config: armConfig(config, arm), models }, this.base.stages) });
    }
    if (generation !== this.generation) return;
    this.live = { experiment, arms };
    this.log.info({ experiment: experiment.id, mode: experiment.mode, arms: experiment.arms.map((a) => a.name) }, 'serving experiment');
  }

  /** Inserts the buffered exposures now (they also go every `experiments.exposureFlushMs`). */
  flushExposures(): Promise<void> {
    return this.exposures?.flush() ?? Promise.resolve();
  }

  /** One page for `request`, through the running experiment when there is one. */
  async run(request: FeedRequest & { locale?: string }, requestId: string): Promise<ServedPage> {
    const live = this.live;
    if (!live) return this.base.run(request);
    const started = process.hrtime.bigint();
    const { experiment } = live;
    let page: ServedPage;
    let teams: string[];
    if (experiment.mode === 'interleave') {
      const [a, b] = live.arms as [LiveArm, LiveArm];
      const sessionA = cloneSession(request.session);
      const sessionB = cloneSession(request.session);
      const [pa, pb] = await Promise.all([a.pipeline.run({ ...request, session: sessionA }), b.pipeline.run({ ...request, session: sessionB })]);
      const { catalog } = this.base.deps;
      const merged = teamDraft(pa.entries, pb.entries, request.count, (e) => entryKey(catalog, e), requestId);
      page = {
        ...pa,
        entries: merged.map(({ entry }) => entry),
        endOfFeed: pa.endOfFeed && pb.endOfFeed && merged.length < request.count,
        // Both rankings' entries count as served: an entry either arm ranked for this page is not offered again in the session.
        session: { ...pa.session, served: unionBloom(pa.session.served, pb.session.served) },
        experiment: { id: experiment.id, arm: INTERLEAVED },
      };
      teams = merged.map(({ team }) => (team === 0 ? a.arm.name : b.arm.name));
    } else {
      const name = assignArm(experiment.id, request.userId, experiment.arms);
      const arm = live.arms.find((x) => x.arm.name === name)!;
      page = { ...(await arm.pipeline.run(request)), experiment: { id: experiment.id, arm: name } };
      teams = page.entries.map(() => name);
    }
    armLatency.observe({ experiment: experiment.id, arm: page.experiment!.arm }, Number(process.hrtime.bigint() - started) / 1e9);
    if (this.exposures) {
      const ts = Math.floor(request.now / 1000);
      const rows: ExposureRow[] = page.entries.map((e, i) => ({
        experiment_id: experiment.id,
        arm: teams[i]!,
        user_id: request.userId,
        request_id: requestId,
        session_id: request.session.sessionId,
        entry_key: entryKey(this.base.deps.catalog, e),
        position: i,
        ts,
      }));
      this.exposures.push(rows);
    }
    return page;
  }
}

/** What identifies an entry on a page: the video, product or live stream id. */
function entryKey(catalog: ServingCatalog, e: PageEntry): string {
  if (e.type === 'video') return e.candidate.itemId;
  if (e.type === 'product') return catalog.products.id(e.productRow);
  return catalog.lives[e.liveIndex]!.live_id;
}

function cloneSession(s: SessionState): SessionState {
  return { ...s, served: new BloomFilter(s.served.size, s.served.hashes, s.served.bits.slice()), recentCreators: [...s.recentCreators] };
}

function unionBloom(a: BloomFilter, b: BloomFilter): BloomFilter {
  const bits = a.bits.slice();
  for (let i = 0; i < bits.length; i++) bits[i]! |= b.bits[i]!;
  return new BloomFilter(a.size, a.hashes, bits);
}
