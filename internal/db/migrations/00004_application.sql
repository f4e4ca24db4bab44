-- +goose Up
-- Applications (办件), their materials, the step instances of their process
-- (tasks, 待办), countersignatures, supplement requests (补正), the
-- append-only action log, tracking-number sequences and results.
-- Civil dates (deadlines) are 'YYYY-MM-DD' text; instants are db.Time text.

CREATE TABLE applications (
    id                   TEXT PRIMARY KEY,
    number               TEXT UNIQUE,
    service_code         TEXT NOT NULL,
    service_version      INTEGER NOT NULL,
    service_name         TEXT NOT NULL,
    process_code         TEXT NOT NULL DEFAULT '',
    process_version      INTEGER NOT NULL DEFAULT 0,
    department_code      TEXT NOT NULL REFERENCES departments (code),
    applicant_id         TEXT NOT NULL REFERENCES accounts (id),
    organization_id      TEXT REFERENCES organizations (id),
    applicant_name       TEXT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'accepted', 'supplement', 'refused', 'withdrawn', 'concluded')),
    result               TEXT NOT NULL DEFAULT '' CHECK (result IN ('', 'approved', 'denied')),
    form                 TEXT NOT NULL DEFAULT '{}',
    idempotency_key      TEXT,
    statutory_days       INTEGER NOT NULL DEFAULT 0,
    promised_days        INTEGER NOT NULL DEFAULT 0,
    accept_date          TEXT,
    statutory_due        TEXT,
    promised_due         TEXT,
    supplement_count     INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    submitted_at         TEXT,
    concluded_at         TEXT,
    revision             INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX applications_idempotency ON applications (applicant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX applications_applicant ON applications (applicant_id, created_at);
CREATE INDEX applications_organization ON applications (organization_id, created_at) WHERE organization_id IS NOT NULL;
CREATE INDEX applications_department ON applications (department_code, state);

CREATE TABLE supplement_requests (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    task_id        TEXT NOT NULL,
    items          TEXT NOT NULL,
    repeat_reason  TEXT NOT NULL DEFAULT '',
    requested_by   TEXT NOT NULL REFERENCES accounts (id),
    requested_at   TEXT NOT NULL,
    requested_date TEXT NOT NULL,
    answered_at    TEXT,
    answered_date  TEXT,
    note           TEXT NOT NULL DEFAULT '',
    UNIQUE (application_id, seq)
);

CREATE TABLE application_materials (
    id               TEXT PRIMARY KEY,
    application_id   TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    requirement_code TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    blob_key         TEXT NOT NULL,
    supplement_id    TEXT REFERENCES supplement_requests (id),
    uploaded_by      TEXT NOT NULL REFERENCES accounts (id),
    uploaded_at      TEXT NOT NULL,
    replaced         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX application_materials_application ON application_materials (application_id);

CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    step_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments (code),
    role            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    outcome         TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'passed', 'denied', 'skipped')),
    assignee_id     TEXT REFERENCES accounts (id),
    signers         INTEGER NOT NULL DEFAULT 1,
    days            INTEGER NOT NULL,
    opened_at       TEXT NOT NULL,
    opened_date     TEXT NOT NULL,
    due_date        TEXT,
    yellow_date     TEXT,
    warning         TEXT NOT NULL DEFAULT '' CHECK (warning IN ('', 'yellow', 'red')),
    notify_after    TEXT,
    closed_at       TEXT,
    superseded      BOOLEAN NOT NULL DEFAULT FALSE,
    revision        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tasks_application ON tasks (application_id);
CREATE INDEX tasks_queue ON tasks (department_code, state, due_date);
CREATE INDEX tasks_yellow ON tasks (yellow_date) WHERE state = 'open';
CREATE INDEX tasks_due ON tasks (due_date) WHERE state = 'open';
CREATE INDEX tasks_notify ON tasks (notify_after) WHERE state = 'open';

CREATE TABLE task_signatures (
    task_id    TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    outcome    TEXT NOT NULL CHECK (outcome IN ('passed', 'denied')),
    opinion    TEXT NOT NULL,
    signed_at  TEXT NOT NULL,
    PRIMARY KEY (task_id, account_id)
);

-- The action log: every state change of an application, who did it and
-- why. Rows are only ever inserted.
CREATE TABLE application_events (
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    actor_id        TEXT REFERENCES accounts (id),
    actor_role      TEXT NOT NULL DEFAULT '',
    department_code TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    from_state      TEXT NOT NULL DEFAULT '',
    to_state        TEXT NOT NULL DEFAULT '',
    step_id         TEXT NOT NULL DEFAULT '',
    task_id         TEXT NOT NULL DEFAULT '',
    opinion         TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE number_sequences (
    prefix TEXT PRIMARY KEY,
    last   INTEGER NOT NULL
);

-- The result delivered at conclusion: a decision letter (决定书) now.
CREATE TABLE application_results (
    application_id TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    letter_number  TEXT NOT NULL UNIQUE,
    body           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

-- +goose Down
DROP TABLE application_results;
DROP TABLE number_sequences;
DROP TABLE application_events;
DROP TABLE task_signatures;
DROP TABLE tasks;
DROP TABLE application_materials;
DROP TABLE supplement_requests;
DROP TABLE applications;
