-- +goose Up
-- Service ratings (好差评) on concluded applications and closed hotline
-- tickets, and the rectification (整改) a bad rating opens for the
-- responsible department, with its answer and the callback (回访) to the
-- citizen. Civil dates are 'YYYY-MM-DD' text; instants are db.Time text.

-- One rating per rated object: the UNIQUE constraint, not a check in
-- code, is what refuses a second rating, even from two requests at once.
CREATE TABLE ratings (
    id              TEXT PRIMARY KEY,
    object_type     TEXT NOT NULL CHECK (object_type IN ('application', 'ticket')),
    object_id       TEXT NOT NULL,
    object_number   TEXT NOT NULL DEFAULT '',
    rater_id        TEXT NOT NULL REFERENCES accounts (id),
    department_code TEXT NOT NULL REFERENCES departments (code),
    -- The rated service (applications); '' for tickets.
    service_code    TEXT NOT NULL DEFAULT '',
    service_name    TEXT NOT NULL DEFAULT '',
    level           TEXT NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'basic', 'unsatisfied', 'very_unsatisfied')),
    tags            TEXT NOT NULL DEFAULT '[]',
    text            TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL CHECK (channel IN ('web', 'api')),
    amend_count     INTEGER NOT NULL DEFAULT 0,
    amend_until     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (object_type, object_id)
);
CREATE INDEX ratings_rater ON ratings (rater_id, created_at);

CREATE TABLE rectifications (
    id                 TEXT PRIMARY KEY,
    rating_id          TEXT NOT NULL UNIQUE REFERENCES ratings (id),
    department_code    TEXT NOT NULL REFERENCES departments (code),
    -- The rated service, copied from the rating for the figures; '' for
    -- tickets.
    service_code       TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed')),
    opened_date        TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    yellow_date        TEXT NOT NULL,
    warning            TEXT NOT NULL DEFAULT '' CHECK (warning IN ('', 'yellow', 'red')),
    cause              TEXT NOT NULL DEFAULT '',
    action             TEXT NOT NULL DEFAULT '',
    answered_by        TEXT REFERENCES accounts (id),
    answered_at        TEXT,
    on_time            BOOLEAN,
    callback_satisfied BOOLEAN,
    callback_comment   TEXT NOT NULL DEFAULT '',
    callback_channel   TEXT NOT NULL DEFAULT '' CHECK (callback_channel IN ('', 'web', 'api', 'phone')),
    callback_by        TEXT REFERENCES accounts (id),
    callback_at        TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    revision           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX rectifications_department ON rectifications (department_code, state, due_date);
CREATE INDEX rectifications_open_due ON rectifications (due_date) WHERE state = 'open';
CREATE INDEX rectifications_warning ON rectifications (warning, due_date);

-- Running tallies for the public figures, kept in the transaction of
-- every rating, amendment, opening, red mark, answer and callback, so the
-- figures read a few rows per department instead of every rating.
CREATE TABLE rating_tallies (
    department_code TEXT NOT NULL REFERENCES departments (code),
    service_code    TEXT NOT NULL,
    level           TEXT NOT NULL,
    service_name    TEXT NOT NULL DEFAULT '',
    n               INTEGER NOT NULL,
    PRIMARY KEY (department_code, service_code, level)
);

CREATE TABLE rectification_tallies (
    department_code TEXT NOT NULL REFERENCES departments (code),
    service_code    TEXT NOT NULL,
    opened          INTEGER NOT NULL DEFAULT 0,
    done            INTEGER NOT NULL DEFAULT 0,
    done_on_time    INTEGER NOT NULL DEFAULT 0,
    overdue         INTEGER NOT NULL DEFAULT 0,
    called_back     INTEGER NOT NULL DEFAULT 0,
    satisfied       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (department_code, service_code)
);

-- The hotline's part of the figures (tickets answered, and answered by
-- their due date, per department) reads this index only.
CREATE INDEX tickets_figures ON tickets (department_code, state, due_date, replied_at);

-- +goose Down
DROP INDEX tickets_figures;
DROP TABLE rectification_tallies;
DROP TABLE rating_tallies;
DROP TABLE rectifications;
DROP TABLE ratings;
