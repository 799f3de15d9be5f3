import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { ManagedProcess } from './process.ts';

/** Paths and process description of the local ClickHouse server. */
export function clickhouseProcess(config: Config): ManagedProcess {
  const dir = resolve(config.dataDir, 'clickhouse');
  return {
    name: 'clickhouse',
    pidFile: join(dir, 'clickhouse.pid'),
    logFile: join(dir, 'log', 'stdout.log'),
    command: 'clickhouse-server',
    args: [`--config-file=${join(dir, 'config.xml')}`],
  };
}

/** The cluster of the sharded layout (`clickhouse.shards`), one replica per shard. */
function remoteServers(config: Config): string {
  const { shards, cluster } = config.clickhouse;
  if (shards.length === 0) return '';
  const entries = shards.map((s) => {
    const [host, port] = s.tcp.split(':');
    return `<shard><replica><host>${host}</host><port>${port}</port></replica></shard>`;
  });
  return `\n  <remote_servers><${cluster}>${entries.join('')}</${cluster}></remote_servers>`;
}

/** Writes config.xml and users.xml for a loopback-only server with all data under dataDir. */
export function writeClickhouseConfig(config: Config): void {
  const dir = resolve(config.dataDir, 'clickhouse');
  for (const sub of ['data', 'tmp', 'log', 'format_schemas', 'user_files']) mkdirSync(join(dir, sub), { recursive: true });
  const httpPort = new URL(config.clickhouse.url).port || '8123';
  writeFileSync(
    join(dir, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/server.log</log>
    <errorlog>${dir}/log/error.log</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${config.clickhouse.tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>${remoteServers(config)}
</yandex>
`,
  );
  writeFileSync(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
}
