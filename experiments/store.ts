import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { deepMerge } from '../config/load.ts';
import { ConfigSchema, type Config } from '../config/schema.ts';
import { FeedError } from '../core/errors.ts';
import { childLogger } from '../core/logger.ts';
import { readManifest, registryDir, writeJsonAtomic } from '../models/registry.ts';
import { allSourceQuotas } from '../ranker/pipeline.ts';

const Name = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ and -, starting with a letter or digit');

const section = z.record(z.string(), z.unknown());

/**
 * The parts of the config an arm may change: per-request ranking (source quotas, candidates,
 * stage budgets, rerank incl. exploration share, commerce) and the objective weights. Not the
 * cursor's bloom filter, the ANN index, the catalog or the traffic pool: all arms share those.
 */
const OverlaySchema = z
  .object({
    ranker: z.object({ sources: section, maxCandidates: z.number(), stageBudgetsMs: section, rerank: section, commerce: section }).partial().strict().optional(),
    models: z
      .object({ weights: z.record(z.string(), z.number()) })
      .strict()
      .optional(),
  })
  .strict();

const ArmSchema = z.object({
  name: Name,
  /** Share of users in A/B mode (shares of all arms add up to 1); ignored when interleaving. */
  share: z.number().gt(0).max(1),
  /** A registry version this arm keeps serving whatever is promoted; absent: the promoted version. */
  model: z.string().min(1).max(128).optional(),
  overlay: OverlaySchema.optional(),
});
export type Arm = z.infer<typeof ArmSchema>;

const EXPERIMENT_MODES = ['ab', 'interleave'] as const;

export const ExperimentSpecSchema = z
  .object({
    id: Name,
    description: z.string().max(500).default(''),
    /** ab: each user sees one arm; interleave: every page mixes two arms' rankings (team draft). */
    mode: z.enum(EXPERIMENT_MODES).default('ab'),
    arms: z.array(ArmSchema).min(2).max(8),
    /** Name of the control arm (the one the others are compared with). */
    control: Name,
  })
  .superRefine((e, ctx) => {
    const names = e.arms.map((a) => a.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['arms'], message: 'arm names must be unique' });
    if (!names.includes(e.control)) ctx.addIssue({ code: 'custom', path: ['control'], message: `must name one of the arms (${names.join(', ')})` });
    if (e.mode === 'interleave' && e.arms.length !== 2) ctx.addIssue({ code: 'custom', path: ['arms'], message: 'interleaving compares exactly two arms' });
    const total = e.arms.reduce((s, a) => s + a.share, 0);
    if (e.mode === 'ab' && Math.abs(total - 1) > 1e-9) ctx.addIssue({ code: 'custom', path: ['arms'], message: `shares must add up to 1 (got ${total})` });
  });

const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'concluded'] as const;
type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export type Experiment = z.output<typeof ExperimentSpecSchema> & {
  status: ExperimentStatus;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
  /** Set by `conclude`: the arm chosen, and why. */
  conclusion: { winner: string; note: string; at: string } | null;
};

/** experiments.json: every experiment, in creation order. */
interface ExperimentsFile {
  experiments: Experiment[];
}

const filePath = (config: Config) => join(registryDir(config), 'experiments.json');

function readFile(config: Config): ExperimentsFile {
  const path = filePath(config);
  if (!existsSync(path)) return { experiments: [] };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ExperimentsFile;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function writeFile(config: Config, file: ExperimentsFile): void {
  mkdirSync(registryDir(config), { recursive: true });
  writeJsonAtomic(filePath(config), file);
}

export function listExperiments(config: Config): Experiment[] {
  return readFile(config).experiments;
}

export function getExperiment(config: Config, id: string): Experiment {
  const e = listExperiments(config).find((x) => x.id === id);
  if (!e) throw new FeedError('not_found', `unknown experiment "${id}" (see \`feed experiments list\`)`);
  return e;
}

/** The one running experiment (one at a time: two would share users without layers), if any. */
export function runningExperiment(config: Config): Experiment | undefined {
  return listExperiments(config).find((e) => e.status === 'running');
}

/** The config an arm serves with: the base config with the arm's overlay merged and validated. */
export function armConfig(config: Config, arm: Pick<Arm, 'overlay'>): Config {
  if (!arm.overlay) return config;
  const merged = deepMerge(config as unknown as Record<string, unknown>, arm.overlay as Record<string, unknown>);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new FeedError('invalid_request', `overlay is not a valid config: ${why}`);
  }
  // Source quotas default in each source: an overlay may set any source's.
  const known = { ...config, ranker: { ...config.ranker, sources: allSourceQuotas(config.ranker) } };
  const unknown = unknownKeys(known as unknown as Record<string, unknown>, arm.overlay as Record<string, unknown>);
  if (unknown.length) throw new FeedError('invalid_request', `overlay names unknown config keys: ${unknown.join(', ')}`);
  return parsed.data;
}

/** Dotted paths in `over` that `base` does not have (zod would silently drop them). */
function unknownKeys(base: Record<string, unknown>, over: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(over)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!(k in base)) out.push(path);
    else if (v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' && !Array.isArray(base[k])) {
      // Stage budgets are a free-form record keyed by stage name: the pipeline checks those names.
      if (path !== 'ranker.stageBudgetsMs') out.push(...unknownKeys(base[k] as Record<string, unknown>, v as Record<string, unknown>, path));
    }
  }
  return out;
}

/** Validates and stores a new experiment as a draft. */
export function createExperiment(config: Config, spec: unknown): Experiment {
  const parsed = ExperimentSpecSchema.safeParse(spec);
  if (!parsed.success) throw new FeedError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'experiment'}: ${i.message}`).join('; '));
  const file = readFile(config);
  if (file.experiments.some((e) => e.id === parsed.data.id)) throw new FeedError('conflict', `experiment "${parsed.data.id}" exists already`);
  for (const arm of parsed.data.arms) {
    armConfig(config, arm);
    if (arm.model) {
      try {
        readManifest(config, arm.model);
      } catch (err) {
        throw new FeedError('invalid_request', `arm ${arm.name}: ${(err as Error).message}`);
      }
    }
  }
  const experiment: Experiment = {
    ...parsed.data,
    status: 'draft',
    created_at: new Date().toISOString(),
    started_at: null,
    stopped_at: null,
    conclusion: null,
  };
  writeFile(config, { experiments: [...file.experiments, experiment] });
  return experiment;
}

function update(config: Config, id: string, change: (e: Experiment, all: Experiment[]) => Experiment): Experiment {
  const file = readFile(config);
  const at = file.experiments.findIndex((e) => e.id === id);
  if (at < 0) throw new FeedError('not_found', `unknown experiment "${id}" (see \`feed experiments list\`)`);
  const next = change(file.experiments[at]!, file.experiments);
  file.experiments[at] = next;
  writeFile(config, file);
  return next;
}

/** Starts a draft; serving replicas pick it up within `models.watchIntervalMs`. */
export function startExperiment(config: Config, id: string): Experiment {
  return update(config, id, (e, all) => {
    if (e.status !== 'draft') throw new FeedError('conflict', `experiment "${id}" is ${e.status}; only a draft can start`);
    const other = all.find((x) => x.status === 'running');
    if (other) throw new FeedError('conflict', `experiment "${other.id}" is running; stop it first (one experiment at a time)`);
    return { ...e, status: 'running', started_at: new Date().toISOString() };
  });
}

export function stopExperiment(config: Config, id: string): Experiment {
  return update(config, id, (e) => {
    if (e.status !== 'running') throw new FeedError('conflict', `experiment "${id}" is ${e.status}, not running`);
    return { ...e, status: 'stopped', stopped_at: new Date().toISOString() };
  });
}

/** Records the decision on a stopped experiment (promoting the winner's model stays `feed models promote`). */
export function concludeExperiment(config: Config, id: string, winner: string, note = ''): Experiment {
  return update(config, id, (e) => {
    if (e.status !== 'stopped') throw new FeedError('conflict', `experiment "${id}" is ${e.status}; stop it before concluding`);
    if (!e.arms.some((a) => a.name === winner)) throw new FeedError('invalid_request', `experiment "${id}" has no arm "${winner}"`);
    return { ...e, status: 'concluded', conclusion: { winner, note, at: new Date().toISOString() } };
  });
}

/**
 * Polls experiments.json (every `models.watchIntervalMs`, like the promoted pointer) and calls
 * `onChange` with the running experiment (undefined: none) whenever it changes.
 */
export function watchRunning(config: Config, onChange: (e: Experiment | undefined) => void): { close(): void } {
  const log = childLogger('experiments');
  const path = filePath(config);
  const mtime = () => (existsSync(path) ? statSync(path).mtimeMs : 0);
  let lastMtime = mtime();
  let last = JSON.stringify(runningExperiment(config) ?? null);
  const timer = setInterval(() => {
    const m = mtime();
    if (m === lastMtime) return;
    lastMtime = m;
    let running: Experiment | undefined;
    try {
      running = runningExperiment(config);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot read the experiments file; keeping the current experiment');
      return;
    }
    const key = JSON.stringify(running ?? null);
    if (key === last) return;
    last = key;
    log.info({ experiment: running?.id ?? null }, 'running experiment changed');
    onChange(running);
  }, config.models.watchIntervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
