package application

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// Document is a file staff attached to a task while handling it: a site
// inspection report, an expert opinion, a signed form. Staff who can see
// the application see its documents; applicants see the decision letter.
type Document struct {
	ID           string    `json:"id"`
	TaskID       string    `json:"task_id"`
	FileName     string    `json:"file_name"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	UploadedBy   string    `json:"uploaded_by"`
	UploadedAt   time.Time `json:"uploaded_at"`
	blobKey      string
	uploaderName string
}

// UploaderName is the name of the staff member who attached it.
func (d Document) UploaderName() string { return d.uploaderName }

// AttachDocument stores a file on an open task. Only someone who may act
// on the task (its role in its department, and not claimed by a
// colleague) may attach; the attachment is logged.
func (s *Store) AttachDocument(ctx context.Context, p *identity.Principal, taskID, fileName string, r io.Reader) (*Document, error) {
	t, err := s.loadTask(ctx, s.db.Read(), taskID)
	if err != nil {
		return nil, err
	}
	if !holdsRole(p, t.Role, t.DepartmentCode) {
		return nil, s.notYours(p, t)
	}
	if t.State != TaskOpen {
		return nil, fielderr.New("task", "task_closed")
	}
	if t.Signers <= 1 && t.AssigneeID != "" && t.AssigneeID != p.Account.ID {
		return nil, ErrNotAssignee
	}
	fileName = cleanFileName(fileName)
	if fileName == "" {
		return nil, fielderr.New("file", "file_required")
	}
	obj, err := s.blobs.Put(ctx, r, s.uploadLimit, blob.MaterialTypes)
	switch {
	case errors.Is(err, blob.ErrTooLarge):
		return nil, fielderr.New("file", "file_too_large", s.uploadLimit>>20)
	case errors.Is(err, blob.ErrType):
		return nil, fielderr.New("file", "file_type")
	case err != nil:
		return nil, err
	}
	d := &Document{ID: db.NewID(), TaskID: taskID, FileName: fileName, ContentType: obj.ContentType, Size: obj.Size, SHA256: obj.SHA256,
		UploadedBy: p.Account.ID, UploadedAt: s.now(), blobKey: obj.Key, uploaderName: p.Account.Name}
	err = s.tx(ctx, func(tx *db.Tx) error {
		if err := lockApplication(ctx, tx, t.ApplicationID); err != nil {
			return err
		}
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM tasks WHERE id = $1`, taskID).Scan(&state); err != nil {
			return err
		}
		if TaskState(state) != TaskOpen {
			return fielderr.New("task", "task_closed")
		}
		if err := blob.Claim(ctx, tx, s.blobs, d.blobKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO task_documents (id, task_id, application_id, file_name, content_type, size, sha256, blob_key, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			d.ID, taskID, t.ApplicationID, d.FileName, d.ContentType, d.Size, d.SHA256, d.blobKey, d.UploadedBy, db.NewTime(d.UploadedAt)); err != nil {
			return err
		}
		return s.event(ctx, tx, t.ApplicationID, p, t.Role, t.DepartmentCode, "document_attached", "", "", t.StepID, t.ID, "",
			map[string]any{"document": d.ID, "sha256": d.SHA256})
	})
	if err != nil {
		return nil, s.uploadFailed(ctx, err, d.blobKey)
	}
	return d, nil
}

// Documents lists the documents staff attached to an application, for
// staff who may see it; applicants get none.
func (s *Store) Documents(ctx context.Context, p *identity.Principal, appID string) ([]Document, error) {
	if !p.IsStaff() {
		return []Document{}, nil
	}
	if _, err := s.Get(ctx, p, appID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT d.id, d.task_id, d.file_name, d.content_type, d.size, d.sha256, d.blob_key, d.uploaded_by, a.name, d.uploaded_at
		FROM task_documents d JOIN accounts a ON a.id = d.uploaded_by WHERE d.application_id = $1 ORDER BY d.uploaded_at, d.id`, appID)
	if err != nil {
		return nil, fmt.Errorf("application: documents: %w", err)
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		var d Document
		var at db.Time
		if err := rows.Scan(&d.ID, &d.TaskID, &d.FileName, &d.ContentType, &d.Size, &d.SHA256, &d.blobKey, &d.UploadedBy, &d.uploaderName, &at); err != nil {
			return nil, err
		}
		d.UploadedAt = at.Time
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpenDocument returns a document's content for staff who may see its
// application.
func (s *Store) OpenDocument(ctx context.Context, p *identity.Principal, appID, docID string) (*Document, io.ReadCloser, error) {
	docs, err := s.Documents(ctx, p, appID)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range docs {
		if d.ID == docID {
			rc, err := s.blobs.Open(ctx, d.blobKey)
			if err != nil {
				return nil, nil, err
			}
			return &d, rc, nil
		}
	}
	return nil, nil, db.ErrNotFound
}
