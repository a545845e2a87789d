// Runs one SQL file over a JSON-lines message export in DuckDB (npm
// @duckdb/node-api, installed in NODE_DIR outside the repo) and prints each
// result row as one JSON object, every value a string or null.
//   node duckdb_query.mjs NODE_DIR EXPORT.jsonl QUERY.sql
// The export becomes the table `message` with the HTTP API message fields.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const [dir, file, sqlFile] = process.argv.slice(2);
const require = createRequire(dir.replace(/\/?$/, '/'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await db.connect();
const columns = "{message_id: 'UBIGINT', client_msg_no: 'VARCHAR', message_seq: 'UBIGINT', from_uid: 'VARCHAR', " +
  "channel_id: 'VARCHAR', channel_type: 'BIGINT', timestamp: 'BIGINT', payload: 'VARCHAR', is_deleted: 'BIGINT'}";
await c.run(`CREATE TABLE message AS SELECT * FROM read_json('${file.replace(/'/g, "''")}', ` +
  `format = 'newline_delimited', columns = ${columns})`);
const reader = await c.runAndReadAll(readFileSync(sqlFile, 'utf8'));
const names = reader.columnNames();
for (const row of reader.getRows()) {
  const o = {};
  names.forEach((n, i) => { o[n] = row[i] === null ? null : String(row[i]); });
  console.log(JSON.stringify(o));
}
