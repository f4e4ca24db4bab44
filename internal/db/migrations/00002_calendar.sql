-- +goose Up
-- The working-day calendar (package calendar). Days not listed in
-- calendar_days follow the week: Monday to Friday work, Saturday and Sunday
-- rest. Portable SQL: it runs unchanged on SQLite and PostgreSQL.

-- The special days: holidays (放假) and make-up workdays (调休上班).
CREATE TABLE calendar_days (
    date       TEXT PRIMARY KEY CHECK (length(date) = 10), -- YYYY-MM-DD
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '' -- account ID; '' for a shipped notice
);

-- The shipped official notices already seeded, one row per year, so that a
-- restart never brings back a day an administrator deleted.
CREATE TABLE calendar_notices (
    year      INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    seeded_at TEXT NOT NULL
);

-- A counter bumped by every change to calendar_days, so each server node
-- can check cheaply whether its cached calendar is still current.
CREATE TABLE calendar_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO calendar_revision (id, revision) VALUES (1, 0);

-- +goose Down
DROP TABLE calendar_revision;
DROP TABLE calendar_notices;
DROP TABLE calendar_days;
