-- +goose Up
-- The outcome of each verification of the store against the ledger
-- (`tongban verify`, and the periodic run inside serve), so the
-- supervisors' dashboard shows the last one and any breaks it found.
CREATE TABLE ledger_verifications (
    id          TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    -- source is "command" (tongban verify) or "serve" (the periodic run);
    -- node names the machine and process that ran it.
    source      TEXT NOT NULL,
    node        TEXT NOT NULL,
    tree_size   BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    pending     BIGINT NOT NULL,
    objects     BIGINT NOT NULL,
    -- break_count is every break found; breaks holds the first of them,
    -- one a line. error is why the verification could not run at all.
    break_count BIGINT NOT NULL,
    breaks      TEXT NOT NULL,
    error       TEXT NOT NULL
);
CREATE INDEX ledger_verifications_finished ON ledger_verifications (finished_at);

-- +goose Down
DROP TABLE ledger_verifications;
