-- +goose Up
-- Materials fulfilled by data (免提交): a required material the platform
-- took from an electronic license the applicant holds, or that the
-- service's department verifies from shared data under a live grant, so
-- the applicant uploads nothing for it. One row per application and
-- material requirement; submission re-checks every row and marks those
-- whose license or grant has lapsed (lapsed_at), which count no more.
CREATE TABLE application_fulfilments (
    application_id    TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    requirement_code  TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('license', 'data')),
    -- license: the license's type, identifier, number, holder, issuing
    -- department and validity ('YYYY-MM-DD'; valid_until '' = no expiry).
    license_type      TEXT NOT NULL DEFAULT '',
    license_type_name TEXT NOT NULL DEFAULT '',
    license_id        TEXT NOT NULL DEFAULT '',
    license_number    TEXT NOT NULL DEFAULT '',
    -- A random salt: the ledger digests salt and number together, so the
    -- digest cannot be used to test a guessed ID number.
    number_salt       TEXT NOT NULL DEFAULT '',
    holder_name       TEXT NOT NULL DEFAULT '',
    valid_from        TEXT NOT NULL DEFAULT '',
    valid_until       TEXT NOT NULL DEFAULT '',
    -- data: the shared data resource and the grant the department holds.
    resource_code     TEXT NOT NULL DEFAULT '',
    resource_name     TEXT NOT NULL DEFAULT '',
    grant_id          TEXT NOT NULL DEFAULT '',
    -- The issuing (license) or providing (data) department.
    department_code   TEXT NOT NULL DEFAULT '',
    department_name   TEXT NOT NULL DEFAULT '',
    taken_at          TEXT NOT NULL,
    checked_at        TEXT NOT NULL,
    lapsed_at         TEXT,
    PRIMARY KEY (application_id, requirement_code)
);

-- +goose Down
DROP TABLE application_fulfilments;
