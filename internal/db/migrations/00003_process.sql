-- +goose Up
-- Process definitions (流程): immutable versions of each process, the
-- definition itself as JSON. Portable SQL for SQLite and PostgreSQL.

CREATE TABLE processes (
    code            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    department_code TEXT NOT NULL REFERENCES departments (code),
    definition      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    PRIMARY KEY (code, version)
);
CREATE INDEX processes_department ON processes (department_code);

-- +goose Down
DROP TABLE processes;
