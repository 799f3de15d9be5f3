import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Config } from '../config/schema.ts';
import type { ManagedProcess } from './process.ts';

export const KAFKA_VERSION = '3.9.1';

/** Where stack/setup.sh puts the broker jars fetched from Maven Central. */
export function kafkaLibDir(): string {
  return resolve(process.env.FEED_KAFKA_LIB ?? join('.cache', `kafka-${KAFKA_VERSION}`, 'lib'));
}

function brokerPort(config: Config): number {
  const first = config.kafka.brokers[0] ?? '127.0.0.1:19092';
  return Number(first.split(':')[1]);
}

export function kafkaProcess(config: Config): ManagedProcess {
  const dir = resolve(config.dataDir, 'kafka');
  return {
    name: 'kafka',
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

/** Writes a single-node KRaft config on loopback and formats the log directory once. */
export function prepareKafka(config: Config): void {
  const dir = resolve(config.dataDir, 'kafka');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  if (!existsSync(kafkaLibDir())) {
    throw new Error(`Kafka jars not found in ${kafkaLibDir()}; run \`npm run setup\` first`);
  }
  const port = brokerPort(config);
  const ctrl = config.kafka.controllerPort;
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${ctrl}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${ctrl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': String(config.kafka.partitions),
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    'log.retention.hours': '168',
  };
  writeFileSync(join(dir, 'server.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, F',
      'log4j.appender.F=org.apache.log4j.RollingFileAppender',
      `log4j.appender.F.File=${join(dir, 'logs', 'server.log')}`,
      'log4j.appender.F.MaxFileSize=50MB',
      'log4j.appender.F.MaxBackupIndex=2',
      'log4j.appender.F.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=WARN',
    ].join('\n') + '\n',
  );
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    // Cluster ids are 16 bytes in base64url; derive one from the data dir so it is stable.
    // The first byte is masked so the id never starts with '-', which the CLI would take for a flag.
    const id = createHash('sha256').update(dir).digest().subarray(0, 16);
    id[0]! &= 0x7f;
    const clusterId = id.toString('base64url');
    try {
      execFileSync(
        'java',
        ['-cp', `${kafkaLibDir()}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), '--ignore-formatted'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`formatting the Kafka log directory ${dir} failed: ${stderr}`, { cause: err });
    }
  }
}
