-- +goose Up
-- Documents staff attach to a task while handling it (site inspection
-- reports, expert opinions …), kept with the application's record.
CREATE TABLE task_documents (
    id             TEXT PRIMARY KEY,
    task_id        TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    blob_key       TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL REFERENCES accounts (id),
    uploaded_at    TEXT NOT NULL
);
CREATE INDEX task_documents_application ON task_documents (application_id);

-- +goose Down
DROP TABLE task_documents;
