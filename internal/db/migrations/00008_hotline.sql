-- +goose Up
-- The 12345 hotline: the category tree, dispatch rules, deadlines per
-- ticket kind, tickets (工单) with their attachments and append-only action
-- log, and the API keys of Open311 client apps. Civil dates are
-- 'YYYY-MM-DD' text; instants are db.Time text.

CREATE TABLE hotline_categories (
    code        TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES hotline_categories (code),
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    -- The Open311 attributes asked of tickets in the category (JSON).
    attributes  TEXT NOT NULL DEFAULT '[]'
);

-- A rule suggests the department for tickets of a category, in one
-- division or (division_code '') anywhere; the more specific rule wins.
CREATE TABLE hotline_rules (
    id              TEXT PRIMARY KEY,
    category_code   TEXT NOT NULL REFERENCES hotline_categories (code),
    division_code   TEXT NOT NULL DEFAULT '',
    department_code TEXT NOT NULL REFERENCES departments (code),
    UNIQUE (category_code, division_code)
);

-- Working days a department has to answer, per ticket kind; kinds without
-- a row use the built-in defaults.
CREATE TABLE hotline_deadlines (
    kind TEXT PRIMARY KEY,
    days INTEGER NOT NULL CHECK (days > 0)
);

CREATE TABLE tickets (
    id                   TEXT PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL CHECK (kind IN ('complaint', 'report', 'inquiry', 'suggestion', 'help', 'praise')),
    category_code        TEXT NOT NULL REFERENCES hotline_categories (code),
    text                 TEXT NOT NULL,
    address              TEXT NOT NULL DEFAULT '',
    division_code        TEXT NOT NULL DEFAULT '',
    lat                  DOUBLE PRECISION,
    lon                  DOUBLE PRECISION,
    channel              TEXT NOT NULL CHECK (channel IN ('web', 'api', 'phone', 'open311')),
    reporter_id          TEXT REFERENCES accounts (id),
    reporter_name        TEXT NOT NULL DEFAULT '',
    reporter_phone       TEXT NOT NULL DEFAULT '',
    reporter_email       TEXT NOT NULL DEFAULT '',
    protection           TEXT NOT NULL DEFAULT 'none' CHECK (protection IN ('none', 'protected', 'anonymous')),
    filed_by             TEXT REFERENCES accounts (id),
    app_key_id           TEXT NOT NULL DEFAULT '',
    attributes           TEXT NOT NULL DEFAULT '{}',
    media_url            TEXT NOT NULL DEFAULT '',
    state                TEXT NOT NULL CHECK (state IN ('dispatching', 'dispatched', 'handling', 'replied', 'closed', 'merged')),
    suggested_department TEXT NOT NULL DEFAULT '',
    department_code      TEXT REFERENCES departments (code),
    days                 INTEGER NOT NULL,
    clock_date           TEXT,
    due_date             TEXT,
    yellow_date          TEXT,
    warning              TEXT NOT NULL DEFAULT '' CHECK (warning IN ('', 'yellow', 'red')),
    urge_count           INTEGER NOT NULL DEFAULT 0,
    reply                TEXT NOT NULL DEFAULT '',
    replied_at           TEXT,
    solved               BOOLEAN,
    satisfaction         TEXT NOT NULL DEFAULT '',
    reopen_count         INTEGER NOT NULL DEFAULT 0,
    merged_into          TEXT REFERENCES tickets (id),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    revision             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tickets_reporter ON tickets (reporter_id, created_at);
CREATE INDEX tickets_state ON tickets (state, created_at);
CREATE INDEX tickets_department ON tickets (department_code, state);
CREATE INDEX tickets_category ON tickets (category_code, created_at);
CREATE INDEX tickets_due ON tickets (due_date) WHERE state IN ('dispatched', 'handling');

CREATE TABLE ticket_sequences (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE ticket_attachments (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    blob_key     TEXT NOT NULL,
    uploaded_by  TEXT REFERENCES accounts (id),
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id);

-- The action log of a ticket: filing, dispatch, signing, returns, replies,
-- callbacks, reopenings, urging, warnings, merges and every reveal of a
-- protected reporter. Rows are only ever inserted.
CREATE TABLE ticket_events (
    ticket_id       TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    actor_id        TEXT REFERENCES accounts (id),
    department_code TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL DEFAULT '',
    to_state        TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ticket_id, seq)
);

-- API keys issued to Open311 client apps; only the key's SHA-256 is kept.
CREATE TABLE open311_keys (
    id         TEXT PRIMARY KEY,
    key_sha256 TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- +goose Down
DROP TABLE open311_keys;
DROP TABLE ticket_events;
DROP TABLE ticket_attachments;
DROP TABLE ticket_sequences;
DROP TABLE tickets;
DROP TABLE hotline_deadlines;
DROP TABLE hotline_rules;
DROP TABLE hotline_categories;
