-- +goose Up
-- The foundation: administrative divisions, departments, accounts, sessions,
-- and the service catalog. Portable SQL: it runs unchanged on SQLite and
-- PostgreSQL. Timestamps are fixed-width UTC text (see db.Time).

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('province', 'city', 'district', 'street')),
    parent_code TEXT REFERENCES divisions (code)
);

CREATE TABLE departments (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_en       TEXT NOT NULL DEFAULT '',
    division_code TEXT NOT NULL REFERENCES divisions (code),
    parent_code   TEXT REFERENCES departments (code),
    phone         TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    office_hours  TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    position      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX departments_division ON departments (division_code);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('person', 'staff')),
    username        TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    name            TEXT NOT NULL,
    id_number       TEXT,
    phone           TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    department_code TEXT REFERENCES departments (code),
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX accounts_id_number ON accounts (id_number) WHERE id_number IS NOT NULL;

CREATE TABLE account_roles (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    department_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, role, department_code)
);

CREATE TABLE organizations (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    credit_code          TEXT NOT NULL UNIQUE,
    legal_representative TEXT NOT NULL,
    address              TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL
);

CREATE TABLE organization_agents (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    is_legal_rep    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (organization_id, account_id)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE login_throttle (
    username        TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    first_failed_at TEXT NOT NULL,
    locked_until    TEXT
);

CREATE TABLE services (
    code              TEXT PRIMARY KEY,
    department_code   TEXT NOT NULL REFERENCES departments (code),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
    draft             TEXT NOT NULL,
    draft_updated_at  TEXT NOT NULL,
    published_version INTEGER,
    created_at        TEXT NOT NULL
);
CREATE INDEX services_department ON services (department_code);

CREATE TABLE service_versions (
    service_code    TEXT NOT NULL REFERENCES services (code),
    version         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    department_code TEXT NOT NULL,
    audience        TEXT NOT NULL,
    depth           TEXT NOT NULL,
    document        TEXT NOT NULL,
    published_at    TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    PRIMARY KEY (service_code, version)
);

CREATE TABLE themes (
    code        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('life_event', 'business')),
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    audience    TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE theme_steps (
    theme_code   TEXT NOT NULL REFERENCES themes (code) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    service_code TEXT NOT NULL REFERENCES services (code),
    note         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (theme_code, position)
);

CREATE TABLE search_synonyms (
    term       TEXT PRIMARY KEY,
    expansions TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The search index: one row per (published service, term), rebuilt for a
-- service whenever it is published or withdrawn.
CREATE TABLE search_terms (
    service_code TEXT NOT NULL REFERENCES services (code),
    term         TEXT NOT NULL,
    weight       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (service_code, term)
);
CREATE INDEX search_terms_term ON search_terms (term);

-- +goose Down
DROP TABLE search_terms;
DROP TABLE search_synonyms;
DROP TABLE theme_steps;
DROP TABLE themes;
DROP TABLE service_versions;
DROP TABLE services;
DROP TABLE login_throttle;
DROP TABLE sessions;
DROP TABLE organization_agents;
DROP TABLE organizations;
DROP TABLE account_roles;
DROP TABLE accounts;
DROP TABLE departments;
DROP TABLE divisions;
