import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { clickhouseProcess } from '../../stack/clickhouse-server.ts';
import { kafkaProcess, localBrokers } from '../../stack/kafka-broker.ts';
import { runningPid } from '../../stack/process.ts';

/** CPU seconds used so far, per named process. */
export type CpuSeconds = Record<string, number>;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined when it is gone. */
export function procCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Reads the CPU clocks of every process a benchmark involves: this one (`load generator`), the
 * `children` it names, and the stack's own Kafka and ClickHouse (when the project started them);
 * the difference of two readings (`cpuDelta`) is a phase's use.
 */
export function cpuMeter(config: Config, children: () => Record<string, (() => Promise<number | undefined>) | undefined>): () => Promise<CpuSeconds> {
  const kafkaPid = config.kafka.external ? undefined : runningPid(kafkaProcess(config, localBrokers(config)[0]!));
  const clickhousePid = config.clickhouse.external ? undefined : runningPid(clickhouseProcess(config));
  return async () => {
    const own = process.cpuUsage();
    const out: CpuSeconds = { 'load generator': (own.user + own.system) / 1e6 };
    for (const [name, read] of Object.entries(children())) {
      const s = await read?.();
      if (s !== undefined) out[name] = s;
    }
    const k = procCpuSeconds(kafkaPid);
    const c = procCpuSeconds(clickhousePid);
    if (k !== undefined) out.kafka = k;
    if (c !== undefined) out.clickhouse = c;
    return out;
  };
}

export function cpuDelta(before: CpuSeconds, after: CpuSeconds): CpuSeconds {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, Math.round((v - (before[k] ?? 0)) * 100) / 100]));
}
