-- +goose Up
-- Consultations on draft policies (征求意见): the draft and its numbered
-- sections, comments on the whole draft, a section or a quoted passage,
-- moderation actions (never deletions), groups of comments and the
-- adoption report. Civil dates are 'YYYY-MM-DD' text in the platform time
-- zone; instants are db.Time text.

CREATE TABLE consultations (
    id                  TEXT PRIMARY KEY,
    department_code     TEXT NOT NULL REFERENCES departments (code),
    title               TEXT NOT NULL,
    summary             TEXT NOT NULL,
    -- The comment period: from the start of opens_on to the end of
    -- closes_on, both inclusive.
    opens_on            TEXT NOT NULL,
    closes_on           TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    -- The version of the comment policy in force when it was published.
    policy_version      TEXT NOT NULL DEFAULT '',
    created_by          TEXT NOT NULL REFERENCES accounts (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    published_at        TEXT,
    report_summary      TEXT NOT NULL DEFAULT '',
    report_published_at TEXT,
    revision            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX consultations_department ON consultations (department_code, state);
CREATE INDEX consultations_closes ON consultations (state, closes_on);

CREATE TABLE consultation_sections (
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    number          INTEGER NOT NULL CHECK (number > 0),
    heading         TEXT NOT NULL,
    body            TEXT NOT NULL,
    PRIMARY KEY (consultation_id, number)
);

-- A group collects comments on the same point, answered once.
CREATE TABLE consultation_groups (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    title           TEXT NOT NULL,
    answer          TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'adopted', 'partly', 'not_adopted')),
    answer_reason   TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX consultation_groups_consultation ON consultation_groups (consultation_id);

CREATE TABLE consultation_comments (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    -- 0: the whole draft; otherwise the section's number.
    section         INTEGER NOT NULL DEFAULT 0,
    -- The quoted passage of the section, when the comment is on one.
    passage         TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    author_id       TEXT NOT NULL REFERENCES accounts (id),
    created_at      TEXT NOT NULL,
    hidden          BOOLEAN NOT NULL DEFAULT FALSE,
    hide_reason     TEXT NOT NULL DEFAULT '',
    hide_note       TEXT NOT NULL DEFAULT '',
    group_id        TEXT REFERENCES consultation_groups (id),
    answer          TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'adopted', 'partly', 'not_adopted')),
    answer_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consultation_comments_consultation ON consultation_comments (consultation_id, created_at);
CREATE INDEX consultation_comments_author ON consultation_comments (author_id);

-- Every moderation action, in order; a comment is never deleted.
CREATE TABLE consultation_moderations (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    -- The action's place in the consultation's record, from 1.
    seq             INTEGER NOT NULL,
    comment_id      TEXT NOT NULL REFERENCES consultation_comments (id),
    action          TEXT NOT NULL CHECK (action IN ('hide', 'unhide')),
    reason          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    actor_id        TEXT NOT NULL REFERENCES accounts (id),
    at              TEXT NOT NULL,
    UNIQUE (consultation_id, seq)
);

-- +goose Down
DROP TABLE consultation_moderations;
DROP TABLE consultation_comments;
DROP TABLE consultation_groups;
DROP TABLE consultation_sections;
DROP TABLE consultations;
