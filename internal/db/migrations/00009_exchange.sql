-- +goose Up
-- Data sharing between departments (数据共享交换): the catalog of shared
-- data resources, the registries kept inside Tongban, access requests,
-- grants, and the access log every query (answered or refused) writes.

CREATE TABLE exchange_resources (
    code             TEXT PRIMARY KEY,
    department_code  TEXT NOT NULL REFERENCES departments (code),
    name             TEXT NOT NULL,
    name_en          TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    subject_kind     TEXT NOT NULL CHECK (subject_kind IN ('id_number', 'credit_code')),
    sharing_class    TEXT NOT NULL CHECK (sharing_class IN ('unconditional', 'conditional', 'none')),
    update_frequency TEXT NOT NULL CHECK (update_frequency IN ('realtime', 'daily', 'weekly', 'monthly', 'yearly')),
    source           TEXT NOT NULL CHECK (source IN ('registry', 'provider')),
    provider_url     TEXT NOT NULL DEFAULT '',
    fields           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX exchange_resources_department ON exchange_resources (department_code);

-- A registry kept inside Tongban: one row per (resource, subject), the
-- values as a JSON object of field name to text.
CREATE TABLE exchange_records (
    resource_code TEXT NOT NULL REFERENCES exchange_resources (code) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    data          TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (resource_code, subject)
);

CREATE TABLE exchange_requests (
    id                  TEXT PRIMARY KEY,
    resource_code       TEXT NOT NULL REFERENCES exchange_resources (code),
    consumer_department TEXT NOT NULL REFERENCES departments (code),
    fields              TEXT NOT NULL,
    purpose             TEXT NOT NULL,
    legal_basis         TEXT NOT NULL,
    days                INTEGER NOT NULL,
    rate_per_hour       INTEGER NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'granted', 'rejected')),
    requested_by        TEXT NOT NULL REFERENCES accounts (id),
    requested_at        TEXT NOT NULL,
    decided_by          TEXT REFERENCES accounts (id),
    decided_at          TEXT,
    reason              TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_requests_resource ON exchange_requests (resource_code, state);
CREATE INDEX exchange_requests_consumer ON exchange_requests (consumer_department, state);

CREATE TABLE exchange_grants (
    id                  TEXT PRIMARY KEY,
    request_id          TEXT NOT NULL UNIQUE REFERENCES exchange_requests (id),
    resource_code       TEXT NOT NULL REFERENCES exchange_resources (code),
    consumer_department TEXT NOT NULL REFERENCES departments (code),
    fields              TEXT NOT NULL,
    purpose             TEXT NOT NULL,
    legal_basis         TEXT NOT NULL,
    rate_per_hour       INTEGER NOT NULL,
    granted_by          TEXT REFERENCES accounts (id),
    granted_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    revoked_by          TEXT REFERENCES accounts (id),
    revoked_at          TEXT,
    revoke_reason       TEXT NOT NULL DEFAULT '',
    last_used_at        TEXT
);
CREATE INDEX exchange_grants_consumer ON exchange_grants (consumer_department, resource_code);

-- The access log: rows are only ever inserted. subject is the ID number or
-- credit code looked up; it stays in the database (it is what the subject's
-- own page selects on) and never reaches the ledger, logs or URLs.
CREATE TABLE exchange_access_log (
    id               TEXT PRIMARY KEY,
    at               TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('answered', 'refused')),
    reason           TEXT NOT NULL DEFAULT '',
    resource_code    TEXT NOT NULL,
    provider_department TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL,
    fields           TEXT NOT NULL,
    grant_id         TEXT NOT NULL DEFAULT '',
    purpose          TEXT NOT NULL DEFAULT '',
    department_code  TEXT NOT NULL DEFAULT '',
    role             TEXT NOT NULL DEFAULT '',
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    application_id   TEXT NOT NULL DEFAULT '',
    case_number      TEXT NOT NULL DEFAULT '',
    salt             TEXT NOT NULL
);
CREATE INDEX exchange_access_log_subject ON exchange_access_log (subject, at);
CREATE INDEX exchange_access_log_at ON exchange_access_log (at);
CREATE INDEX exchange_access_log_grant ON exchange_access_log (grant_id, at);

-- +goose Down
DROP TABLE exchange_access_log;
DROP TABLE exchange_grants;
DROP TABLE exchange_requests;
DROP TABLE exchange_records;
DROP TABLE exchange_resources;
