import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Config } from '../config/schema.ts';
import type { ManagedProcess } from './process.ts';

const KAFKA_VERSION = '3.9.1';

/** Where stack/setup.sh puts the broker jars fetched from Maven Central. */
function kafkaLibDir(): string {
  return resolve(process.env.FEED_KAFKA_LIB ?? join('.cache', `kafka-${KAFKA_VERSION}`, 'lib'));
}

/** One local broker: node ids from 1; the first keeps the single-broker paths (`<dataDir>/kafka`). */
export interface LocalBroker {
  name: string;
  nodeId: number;
  port: number;
  controllerPort: number;
  dir: string;
}

export function localBrokers(config: Config): LocalBroker[] {
  return config.kafka.brokers.slice(0, config.kafka.localBrokers).map((address, i) => ({
    name: i === 0 ? 'kafka' : `kafka-${i + 1}`,
    nodeId: i + 1,
    port: Number(address.split(':')[1]),
    controllerPort: config.kafka.controllerPort + i,
    dir: resolve(config.dataDir, i === 0 ? 'kafka' : `kafka-${i + 1}`),
  }));
}

/** Config overrides for N local brokers next to the first one's port (+100 each), replication 3 from 3 brokers. */
export function localClusterOverrides(config: Config, n: number): Record<string, unknown> {
  const [host, port] = config.kafka.brokers[0]!.split(':');
  return {
    kafka: {
      localBrokers: n,
      brokers: Array.from({ length: n }, (_, i) => `${host}:${Number(port) + 100 * i}`),
      replicationFactor: Math.min(3, n),
    },
  };
}

export function kafkaProcess(config: Config, broker: LocalBroker): ManagedProcess {
  const { dir } = broker;
  return {
    name: broker.name,
    pidFile: join(dir, 'kafka.pid'),
    logFile: join(dir, 'logs', 'stdout.log'),
    command: 'java',
    args: [
      `-Xmx${config.kafka.heapMb}m`,
      `-Xms${Math.min(256, config.kafka.heapMb)}m`,
      '-XX:+UseG1GC',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      '-cp',
      `${kafkaLibDir()}/*`,
      'kafka.Kafka',
      join(dir, 'server.properties'),
    ],
  };
}

/**
 * Writes a KRaft config on loopback for one broker of the local stack (every broker is also a
 * controller voter) and formats its log directory once, with a cluster id shared by all of them.
 */
export function prepareKafka(config: Config, broker: LocalBroker): void {
  const { dir, port, controllerPort: ctrl } = broker;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  if (!existsSync(kafkaLibDir())) {
    throw new Error(`Kafka jars not found in ${kafkaLibDir()}; run \`npm run setup\` first`);
  }
  const all = localBrokers(config);
  const internalRf = String(Math.min(3, all.length));
  const props = {
    'process.roles': 'broker,controller',
    'node.id': String(broker.nodeId),
    'controller.quorum.voters': all.map((b) => `${b.nodeId}@127.0.0.1:${b.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${ctrl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': String(config.kafka.partitions),
    'offsets.topic.replication.factor': internalRf,
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': internalRf,
    'transaction.state.log.min.isr': all.length >= 3 ? '2' : '1',
    'default.replication.factor': internalRf,
    // acks=all then needs two copies: losing one broker loses no acknowledged event.
    'min.insync.replicas': all.length >= 3 ? '2' : '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    'log.retention.hours': '168',
  };
  writeFileSync(
    join(dir, 'server.properties'),
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'log4j.properties'),
    `${[
      'log4j.rootLogger=INFO, F',
      'log4j.appender.F=org.apache.log4j.RollingFileAppender',
      `log4j.appender.F.File=${join(dir, 'logs', 'server.log')}`,
      'log4j.appender.F.MaxFileSize=50MB',
      'log4j.appender.F.MaxBackupIndex=2',
      'log4j.appender.F.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=WARN',
    ].join('\n')}\n`,
  );
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    // Cluster ids are 16 bytes in base64url; derive one from the data dir so it is stable.
    // The first byte is masked so the id never starts with '-', which the CLI would take for a flag.
    const id = createHash('sha256').update(all[0]!.dir).digest().subarray(0, 16);
    id[0]! &= 0x7f;
    const clusterId = id.toString('base64url');
    try {
      execFileSync('java', ['-cp', `${kafkaLibDir()}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), '--ignore-formatted'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new Error(`formatting the Kafka log directory ${dir} failed: ${stderr}`, { cause: err });
    }
  }
}
