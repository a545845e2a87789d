// DuckDB side of tests/bench/audit/shapes.sh: loads one message store into the
// table `message` (HTTP API field names) and runs one SQL file over it (the
// output of `wkit audit sql --dialect duckdb --summary`), 2 threads. Prints the
// result rows as one JSON object: {finding: count}.
//   node shapes_duckdb.mjs NODE_DIR jsonl|csv|sqlite_android FILE QUERY.sql [narrow]
// narrow loads only the five columns duckdb_compare.sh's two-finding query
// reads (its method), instead of all nine.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const [dir, format, file, sqlFile, narrow] = process.argv.slice(2);
const require = createRequire(dir.replace(/\/?$/, '/'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const path = `'${file.replace(/'/g, "''")}'`;
const columns = "{message_id: 'UBIGINT', client_msg_no: 'VARCHAR', message_seq: 'UBIGINT', from_uid: 'VARCHAR', " +
  "channel_id: 'VARCHAR', channel_type: 'BIGINT', timestamp: 'BIGINT', payload: 'VARCHAR', is_deleted: 'BIGINT'}";
let src;
if (format === 'jsonl') src = `read_json(${path}, format = 'newline_delimited', columns = ${columns})`;
else if (format === 'csv') src = `read_csv(${path}, header = true, quote = '"', escape = '"', columns = ${columns})`;
else if (format === 'sqlite_android') {
  // The Android SDK schema: message_id as TEXT, the payload in `content`.
  await c.run('INSTALL sqlite; LOAD sqlite;');
  src = `(SELECT CAST(message_id AS UBIGINT) AS message_id, client_msg_no, message_seq, from_uid, channel_id, ` +
    `channel_type, timestamp, content AS payload, is_deleted FROM sqlite_scan(${path}, 'message'))`;
} else throw new Error(`unknown format ${format}`);
const cols = narrow ? 'message_id, client_msg_no, from_uid, channel_id, channel_type' : '*';
await c.run(`CREATE TABLE message AS SELECT ${cols} FROM ${src}`);
const reader = await c.runAndReadAll(readFileSync(sqlFile, 'utf8'));
const out = {};
for (const [finding, count] of reader.getRows()) out[String(finding)] = Number(count);
console.log(JSON.stringify(out));
