#pragma once
// The on-disk schema of the `wkit serve` store (SQLite, WAL). It mirrors the
// WuKongIM 3.x server's `message` table (WIRE.md section 8) so the same audit
// reader handles both; wkit adds the channel to the key (one file holds every
// channel) and a `wkit_meta` table by which `wkit audit` recognises the file.
// This is a documented input format (docs/serve.md, docs/audit.md): change it
// only with a new schema_version and a migration.
//
// Key layout (not part of the format; files written by older builds keep
// theirs and work unchanged): message_id is the rowid, so the table is
// appended in id order and needs no separate id index; (channel, message_seq)
// is unique by construction (the server hands out seqs) and carries no index:
// an index there is an insert at a random place per SEND, which with many
// channels cost more than everything else the store thread does (measured in
// docs/benchmarks.md); pending_delivery is WITHOUT ROWID. Each SEND touches
// two B-trees (table, idempotency index) plus one per recipient, down from
// five plus two per recipient. `wkit audit` checks seq uniqueness
// (seq_anomaly).
namespace wkit::store {

inline constexpr int kSchemaVersion = 1;

inline constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS wkit_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS message (
  channel_id          TEXT    NOT NULL,  -- canonical: `a@b` for person channels
  channel_type        INTEGER NOT NULL,
  message_seq         INTEGER NOT NULL,  -- contiguous per channel from 1
  message_id          INTEGER PRIMARY KEY NOT NULL,  -- Snowflake-style: the rowid
  framer_flags        INTEGER NOT NULL,  -- header bits 3..0 of the SEND
  setting             INTEGER NOT NULL,
  msg_key             TEXT    NOT NULL,
  expire              INTEGER NOT NULL,
  client_seq          INTEGER NOT NULL,
  client_msg_no       TEXT    NOT NULL,
  stream_no           TEXT    NOT NULL DEFAULT '',
  timestamp           INTEGER NOT NULL,  -- seconds
  topic               TEXT    NOT NULL DEFAULT '',
  from_uid            TEXT    NOT NULL,
  payload_hash        TEXT    NOT NULL,  -- hex SHA-256 of the plaintext payload
  payload_size        INTEGER NOT NULL,
  payload             BLOB    NOT NULL,  -- plaintext
  server_timestamp_ms INTEGER NOT NULL
);
)sql";

// Created only when the server runs with --dedup on: the idempotency key of
// WuKongIM 3.x. (Partial: empty client_msg_no is never de-duplicated.)
// client_msg_no leads: it is the part that differs between keys (a random
// UUID), so the comparisons of an insert stop at the first column instead of
// walking channel and sender first; this index is most of the store
// thread's work (docs/benchmarks.md). Files made with the older column order
// keep their index; both enforce the same uniqueness.
inline constexpr const char* kDedupIndexSql = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS message_idempotency_idx
  ON message(client_msg_no, from_uid, channel_id, channel_type) WHERE client_msg_no <> '';
)sql";

// Per-recipient delivery state: rows exist until the recipient acks.
inline constexpr const char* kPendingSql = R"sql(
CREATE TABLE IF NOT EXISTS pending_delivery (
  uid          TEXT    NOT NULL,
  message_id   INTEGER NOT NULL,
  PRIMARY KEY (uid, message_id)
) WITHOUT ROWID;
)sql";

}  // namespace wkit::store
