package application_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
)

// keyFor is the store's key of content: its SHA-256, fanned out.
func keyFor(t *testing.T, content []byte) string {
	t.Helper()
	sum := fmt.Sprintf("%x", sha256.Sum256(content))
	return "sha256/" + sum[:2] + "/" + sum[2:]
}

// onFirstRead runs fn when the upload starts streaming.
type onFirstRead struct {
	r    io.Reader
	fn   func()
	done bool
}

func (o *onFirstRead) Read(p []byte) (int, error) {
	if !o.done {
		o.done = true
		o.fn()
	}
	return o.r.Read(p)
}

// TestUploadsNoRecordHoldsAreDeleted: the uploads of a discarded draft, a
// material removed from a draft and an upload whose draft was discarded
// while it streamed in are deleted from the store an hour later; content
// another application also uploaded stays.
func TestUploadsNoRecordHoldsAreDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		pdf := func(s string) []byte { return []byte("%PDF-1.7\n% " + s + "\n%%EOF\n") }
		upload := func(id, req string, content []byte) *application.Material {
			t.Helper()
			m, err := f.store.AddMaterial(ctx, zhang, id, req, "file.pdf", bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		draft := func() string {
			t.Helper()
			a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		// Discarded: its own plan and the licence another draft has too.
		discarded, other := draft(), draft()
		upload(discarded, "m1", pngFile)
		upload(discarded, "m2", pdf("plan"))
		upload(other, "m1", pngFile)
		if err := f.store.Discard(ctx, zhang, discarded); err != nil {
			t.Fatal(err)
		}
		// Removed from a draft that stays.
		removed := upload(other, "m2", pdf("wrong plan"))
		if err := f.store.RemoveMaterial(ctx, zhang, other, removed.ID); err != nil {
			t.Fatal(err)
		}
		// Streamed in while its draft was being discarded: the upload fails
		// and its content is released.
		late := draft()
		r := &onFirstRead{r: bytes.NewReader(pdf("late")), fn: func() {
			if err := f.store.Discard(ctx, zhang, late); err != nil {
				t.Error(err)
			}
		}}
		if _, err := f.store.AddMaterial(ctx, zhang, late, "m1", "late.pdf", r); err == nil {
			t.Fatal("an upload to a draft discarded meanwhile was accepted")
		}

		sweeper := &blob.Sweeper{DB: d, Store: f.blobs, Refs: slices.Concat(application.BlobRefs, hotline.BlobRefs),
			Now: func() time.Time { return f.clock.now().Add(blob.DefaultGrace + time.Minute) }}
		st, err := sweeper.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st != (blob.SweepStats{Deleted: 3, Kept: 1}) {
			t.Errorf("sweep: %+v, want the plan, the wrong plan and the late upload deleted, the shared licence kept", st)
		}
		for name, c := range map[string]struct {
			content []byte
			want    bool
		}{"plan": {pdf("plan"), false}, "wrong plan": {pdf("wrong plan"), false}, "late": {pdf("late"), false}, "licence": {pngFile, true}} {
			rc, err := f.blobs.Open(ctx, keyFor(t, c.content))
			if got := err == nil; got != c.want {
				t.Errorf("%s stored after the sweep: %t (%v), want %t", name, got, err, c.want)
			}
			if err == nil {
				rc.Close()
			} else if !errors.Is(err, blob.ErrNotFound) {
				t.Fatal(err)
			}
		}
		// The draft that stays still has its licence.
		if _, rc, err := f.store.OpenMaterial(ctx, zhang, other, upload(other, "m2", pdf("right plan")).ID); err != nil {
			t.Fatal(err)
		} else {
			rc.Close()
		}
		a, err := f.store.Get(ctx, zhang, other)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range a.Materials {
			_, rc, err := f.store.OpenMaterial(ctx, zhang, other, m.ID)
			if err != nil {
				t.Fatalf("material %s of the draft that stays: %v", m.RequirementCode, err)
			}
			rc.Close()
		}
	})
}
