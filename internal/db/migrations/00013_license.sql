-- +goose Up
-- Electronic licenses (电子证照): the license types each department issues,
-- the licenses themselves (signed at issue by the department's key), the
-- holders' time-limited verification links, and the per-type, per-year
-- sequences of license numbers.

CREATE TABLE license_types (
    code            TEXT PRIMARY KEY,
    department_code TEXT NOT NULL REFERENCES departments (code),
    name            TEXT NOT NULL,
    name_en         TEXT NOT NULL DEFAULT '',
    prefix          TEXT NOT NULL,
    holder_kind     TEXT NOT NULL CHECK (holder_kind IN ('person', 'organization', 'any')),
    validity_years  INTEGER NOT NULL DEFAULT 0,
    fields          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX license_types_department ON license_types (department_code);

-- holder_key is the holder's ID number or credit code: it is what the
-- wallet selects on and never leaves the database except to its holder.
-- document is the canonical JSON that was signed; sig_ed25519 and sig_sm2
-- are base64 signatures over it.
CREATE TABLE licenses (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    type_code       TEXT NOT NULL REFERENCES license_types (code),
    department_code TEXT NOT NULL REFERENCES departments (code),
    holder_kind     TEXT NOT NULL CHECK (holder_kind IN ('person', 'organization')),
    holder_key      TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT,
    fields          TEXT NOT NULL,
    document        TEXT NOT NULL,
    sig_ed25519     TEXT NOT NULL,
    sig_sm2         TEXT NOT NULL DEFAULT '',
    key_ed25519     TEXT NOT NULL,
    key_sm2         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('valid', 'suspended', 'revoked')),
    reason          TEXT NOT NULL DEFAULT '',
    state_at        TEXT,
    source          TEXT UNIQUE,
    issued_at       TEXT NOT NULL
);
CREATE INDEX licenses_holder ON licenses (holder_key, type_code, issued_at);
CREATE INDEX licenses_department ON licenses (department_code, issued_at);

-- A share link's token is shown once; only its SHA-256 is kept.
CREATE TABLE license_shares (
    id          TEXT PRIMARY KEY,
    license_id  TEXT NOT NULL REFERENCES licenses (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX license_shares_license ON license_shares (license_id);

CREATE TABLE license_sequences (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- +goose Down
DROP TABLE license_sequences;
DROP TABLE license_shares;
DROP TABLE licenses;
DROP TABLE license_types;
