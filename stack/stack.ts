import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { clickhouseHealthy, migrate } from '../storage/clickhouse.ts';
import { ensureTopics, kafkaHealthy } from '../storage/kafka.ts';
import { clickhouseProcess, writeClickhouseConfig } from './clickhouse-server.ts';
import { kafkaProcess, localBrokers, prepareKafka } from './kafka-broker.ts';
import { redisHealthy, redisProcess, writeRedisConfig } from './redis-server.ts';
import { isAlive, runningPid, startDetached, stopProcess, waitFor, type ManagedProcess } from './process.ts';

const log = childLogger('stack');

/** `kafka` is the first (or only) local broker; `kafka-2`, `kafka-3` the others of a local cluster. */
export type ServiceName = 'kafka' | `kafka-${number}` | 'clickhouse' | 'redis';

export interface ServiceStatus {
  name: ServiceName;
  /** `local`: started by this project under dataDir; `external`: pointed at by config. */
  mode: 'local' | 'external';
  pid?: number;
  healthy: boolean;
  endpoint: string;
  logFile?: string;
}

interface Service {
  name: ServiceName;
  external: boolean;
  endpoint: string;
  process: ManagedProcess;
  prepare: () => void;
  healthy: () => Promise<boolean>;
  startTimeoutMs: number;
}

/** Kafka and ClickHouse always; Redis when the online state lives there. */
function services(config: Config): Service[] {
  const all: Service[] = [
    {
      name: 'clickhouse',
      external: config.clickhouse.external,
      endpoint: config.clickhouse.url,
      process: clickhouseProcess(config),
      prepare: () => writeClickhouseConfig(config),
      healthy: () => clickhouseHealthy(config),
      startTimeoutMs: 60_000,
    },
    ...localBrokers(config).map((broker): Service => {
      const address = `127.0.0.1:${broker.port}`;
      return {
        name: broker.name as ServiceName,
        external: config.kafka.external,
        endpoint: config.kafka.external ? config.kafka.brokers.join(',') : address,
        process: kafkaProcess(config, broker),
        prepare: () => prepareKafka(config, broker),
        healthy: () => (config.kafka.external ? kafkaHealthy(config) : kafkaHealthy({ ...config, kafka: { ...config.kafka, brokers: [address] } })),
        startTimeoutMs: 90_000,
      };
    }),
  ];
  if (config.online.store === 'redis') {
    all.push({
      name: 'redis',
      external: config.online.redisExternal,
      endpoint: config.online.redisUrl,
      process: redisProcess(config),
      prepare: () => writeRedisConfig(config),
      healthy: () => redisHealthy(config),
      startTimeoutMs: 20_000,
    });
  }
  return all;
}

/** The last lines of a service's log, so a failed start explains itself where the log is gone (CI). */
function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startService(s: Service): Promise<'started' | 'running' | 'external'> {
  if (s.external) return 'external';
  if (runningPid(s.process) !== undefined) return 'running';
  if (await s.healthy().catch(() => false)) {
    throw new Error(`${s.name}: something else already answers on ${s.endpoint}; stop it or change the port in config`);
  }
  s.prepare();
  const pid = startDetached(s.process);
  log.info({ service: s.name, pid, log: s.process.logFile }, `starting ${s.name}`);
  await waitFor(s.name, s.healthy, s.startTimeoutMs, () => isAlive(pid)).catch((err: Error) => {
    throw new Error(`${err.message}; see ${s.process.logFile}, which ends:\n${logTail(s.process.logFile)}`, { cause: err });
  });
  return 'started';
}

/**
 * Starts whatever local services are not running, waits until they answer, then creates
 * topics and tables. A second call while the stack runs reports it and starts nothing.
 */
export async function stackUp(config: Config): Promise<Partial<Record<ServiceName, 'started' | 'running' | 'external'>>> {
  const result: Partial<Record<ServiceName, 'started' | 'running' | 'external'>> = {};
  const all = services(config);
  await Promise.all(all.map(async (s) => (result[s.name] = await startService(s))));
  await waitFor('ClickHouse', () => clickhouseHealthy(config), 30_000);
  await waitFor('Kafka', () => kafkaHealthy(config), 30_000);
  const migrations = await migrate(config);
  const topics = await ensureTopics(config);
  log.info({ ...result, migrations, topics }, 'stack ready');
  return result;
}

/** Stops only the processes this project started (by pid file). */
export async function stackDown(config: Config): Promise<ServiceName[]> {
  const stopped: ServiceName[] = [];
  // Kafka first: it may still flush to disk; ClickHouse has nothing depending on Kafka.
  for (const s of services(config).reverse()) {
    if (!s.external && (await stopProcess(s.process))) stopped.push(s.name);
  }
  return stopped;
}

export async function stackStatus(config: Config): Promise<ServiceStatus[]> {
  return Promise.all(
    services(config).map(async (s) => {
      const pid = s.external ? undefined : runningPid(s.process);
      const healthy = await s.healthy().catch(() => false);
      return {
        name: s.name,
        mode: s.external ? 'external' : 'local',
        ...(pid !== undefined ? { pid } : {}),
        healthy,
        endpoint: s.endpoint,
        ...(s.external ? {} : { logFile: s.process.logFile }),
      } satisfies ServiceStatus;
    }),
  );
}

/** Stops one local service (used by fault-injection tests) or starts it again. */
export async function stopLocalService(config: Config, name: ServiceName): Promise<boolean> {
  const s = services(config).find((x) => x.name === name)!;
  return stopProcess(s.process);
}

export async function startLocalService(config: Config, name: ServiceName): Promise<void> {
  const s = services(config).find((x) => x.name === name)!;
  await startService(s);
}
