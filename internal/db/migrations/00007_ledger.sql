-- +goose Up
-- The ledger (上链盖戳): entries appended in the same transaction as the
-- change they stamp, the RFC 6962 Merkle tree they are integrated into,
-- and the signed checkpoints of that tree. Hashes are lowercase hex text so
-- the schema is the same on SQLite and PostgreSQL.

-- An entry is pending (idx NULL) from its commit until a sequencer
-- integrates it; then idx is its position in the tree and never changes.
-- body is the entry's canonical JSON, the exact bytes that are hashed.
CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY,
    idx         BIGINT UNIQUE,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ledger_entries_pending ON ledger_entries (created_at, id) WHERE idx IS NULL;
CREATE INDEX ledger_entries_object ON ledger_entries (object_type, object_id);

-- The tree's stored hashes, indexed as golang.org/x/mod/sumdb/tlog numbers
-- them (StoredHashIndex): written once, never updated.
CREATE TABLE ledger_hashes (
    n    BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);

-- The one-row tree state. A sequencer moves it from size N to M with
-- UPDATE ... WHERE size = N, so two sequencers racing on one database
-- cannot both integrate a batch at size N.
CREATE TABLE ledger_tree (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       BIGINT NOT NULL,
    root       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO ledger_tree (id, size, root, updated_at)
VALUES (1, 0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '');

-- Every signed checkpoint (c2sp.org/tlog-checkpoint signed note), one per
-- tree size.
CREATE TABLE ledger_checkpoints (
    size       BIGINT PRIMARY KEY,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE ledger_checkpoints;
DROP TABLE ledger_tree;
DROP TABLE ledger_hashes;
DROP TABLE ledger_entries;
