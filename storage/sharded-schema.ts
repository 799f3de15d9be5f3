/**
 * The sharded layout: every table of the migrations becomes `<name>_local` (same engine) on each
 * shard plus `<name>`, a `Distributed` table over the cluster's `<name>_local`, so inserts and
 * queries keep their table names. Rows go to a shard by a hash of the table's sorting key, so the
 * rows a Replacing/Summing merge must see together share a shard and FINAL stays right per
 * shard. Materialized views read and write the local tables of their shard; plain views stay as
 * written (their joins run GLOBAL, see `createClickHouse`). Works on any later migration written
 * in the same shape (CREATE TABLE ... ORDER BY, CREATE MATERIALIZED VIEW ... TO ... FROM,
 * ALTER TABLE), so new tables need nothing here.
 */
const CREATE_TABLE = /^(\s*CREATE TABLE IF NOT EXISTS )(\w+)(\s*\()/;
const ORDER_BY = /ORDER BY\s+(\([^)]*\)|\w+)\s*$/;
const MATERIALIZED_VIEW = /^\s*CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ TO (\w+)/;
const ALTER_TABLE = /^(\s*ALTER TABLE )(\w+)\b/;

/** Rewrites one migration statement for the sharded layout over `cluster`; `tables` carries what earlier statements created. */
export function shardStatement(statement: string, cluster: string, database: string, tables: Set<string>): string[] {
  const table = CREATE_TABLE.exec(statement);
  if (table) {
    const name = table[2]!;
    const key = ORDER_BY.exec(statement)?.[1];
    if (!key) throw new Error(`sharded layout: table ${name} has no ORDER BY to shard by`);
    tables.add(name);
    return [
      statement.replace(CREATE_TABLE, `$1${name}_local$3`),
      `CREATE TABLE IF NOT EXISTS ${name} AS ${name}_local ENGINE = Distributed(${cluster}, ${database}, ${name}_local, cityHash64${key.startsWith('(') ? key : `(${key})`})`,
    ];
  }
  if (MATERIALIZED_VIEW.test(statement)) {
    const local = (name: string) => (tables.has(name) ? `${name}_local` : name);
    return [statement.replace(/\bTO (\w+)/, (_, t: string) => `TO ${local(t)}`).replace(/\bFROM (\w+)/g, (_, t: string) => `FROM ${local(t)}`)];
  }
  const alter = ALTER_TABLE.exec(statement);
  if (alter && tables.has(alter[2]!)) {
    return [statement.replace(ALTER_TABLE, `$1${alter[2]}_local`), statement];
  }
  return [statement];
}
