-- +goose Up
-- Leases for work that runs on one node at a time, and the notification
-- outbox: notices (each is also the recipient's in-app inbox entry) and
-- their email and SMS deliveries. Portable SQL; timestamps are fixed-width
-- UTC text (see db.Time), so they compare correctly as strings.

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- A notice stores its message as a kind plus arguments; the text is
-- rendered in the reader's language when shown or sent.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    args       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notices_account ON notices (account_id, created_at);
-- The unread badge in the page header counts from this index alone.
CREATE INDEX notices_unread ON notices (account_id) WHERE read_at IS NULL;

-- One row per notice and outside channel. A row is due when status is
-- pending and due_at has passed; a node claims it by setting claimed_by and
-- claimed_until, so no two nodes send it at once, and a claim left by a
-- crashed node lapses.
CREATE TABLE notice_deliveries (
    id            TEXT PRIMARY KEY,
    notice_id     TEXT NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        TEXT NOT NULL,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (notice_id, channel)
);
CREATE INDEX notice_deliveries_due ON notice_deliveries (status, due_at);

-- +goose Down
DROP TABLE notice_deliveries;
DROP TABLE notices;
DROP TABLE leases;
