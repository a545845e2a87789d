#pragma once
// The on-disk schema of the `wkit serve` store (SQLite, WAL). It mirrors the
// WuKongIM 3.x server's `message` table (docs/protocol.md section 8) so the same audit
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
// docs/benchmarks.md); pending_delivery is WITHOUT ROWID. `wkit audit` checks
// seq uniqueness (seq_anomaly).
//
// Schema version 2 moved the idempotency key's unique index out of `message`
// into the WITHOUT ROWID table `message_idempotency`, filled in bulk (see
// kIdempotencySql). Opening a version 1 file migrates it.
namespace wkit::store {

inline constexpr int kSchemaVersion = 2;

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

// Created only when the server runs with --dedup on: the unique index of
// WuKongIM 3.x's idempotency key, one entry per message with a non-empty
// client_msg_no (empty ones are never de-duplicated), naming its message_id.
//
// It covers every message with message_id <= wkit_meta 'idempotency_through'
// and is extended in bulk, in key order, one transaction per
// Options::idempotency_merge_rows messages (more as the index grows, see
// IdempotencyIndex::merge_threshold), at shutdown and at startup (which also
// picks up what a crash left). Random client_msg_nos put each entry on a
// different B-tree page, so indexing SEND by SEND wrote about one 4 KiB page
// per SEND to the WAL, fsynced it and checkpointed it; in bulk a page takes
// many entries at once (docs/benchmarks.md "wkit serve"). The messages after
// the mark are already durable in `message`; at runtime the server's
// in-memory index (app/dedup_index) answers for all keys, loaded from
// `message` at startup.
inline constexpr const char* kIdempotencySql = R"sql(
CREATE TABLE IF NOT EXISTS message_idempotency (
  client_msg_no TEXT    NOT NULL,
  from_uid      TEXT    NOT NULL,
  channel_id    TEXT    NOT NULL,
  channel_type  INTEGER NOT NULL,
  message_id    INTEGER NOT NULL,
  PRIMARY KEY (client_msg_no, from_uid, channel_id, channel_type)
) WITHOUT ROWID;
)sql";

// The version 1 index on `message`, dropped when a file is opened.
inline constexpr const char* kVersion1IndexName = "message_idempotency_idx";

// Per-recipient delivery state: rows exist until the recipient acks.
inline constexpr const char* kPendingSql = R"sql(
CREATE TABLE IF NOT EXISTS pending_delivery (
  uid          TEXT    NOT NULL,
  message_id   INTEGER NOT NULL,
  PRIMARY KEY (uid, message_id)
) WITHOUT ROWID;
)sql";

// Groups made or changed over the HTTP API (POST /channel, subscriber_add,
// subscriber_remove), so a restart keeps them; one row per group, `members`
// a JSON array of uids in the order the API gave them. Added without a new
// schema_version: older builds ignore the table. Groups from --group alone
// are not stored (the command line gives them again).
inline constexpr const char* kGroupSql = R"sql(
CREATE TABLE IF NOT EXISTS wkit_group (
  group_id TEXT PRIMARY KEY NOT NULL,
  members  TEXT NOT NULL  -- JSON array of uids
);
)sql";

}  // namespace wkit::store
