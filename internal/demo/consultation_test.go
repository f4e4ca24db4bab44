package demo_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/ledger"
)

// TestDemoConsultations checks the demo consultations, loaded twice: an
// open one with a hidden comment, a closed one with its published report,
// and ledger entries that digest their current state.
func TestDemoConsultations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, time.Now().In(shanghai))
		ctx := t.Context()
		if _, err := demo.Load(ctx, d, f.orgs, f.ids, f.cat, nil); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := demo.LoadConsultations(ctx, d, f.ids, shanghai); err != nil {
				t.Fatal(err)
			}
		}
		s := consultation.NewStore(d, shanghai, nil)
		list, err := s.List(ctx, nil, consultation.Filter{})
		if err != nil || len(list) != 2 {
			t.Fatalf("List = %d, %v; want 2 after loading twice", len(list), err)
		}
		phases := map[string]consultation.Phase{}
		for _, c := range list {
			phases[c.Title] = c.Phase
			st, err := s.Stats(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch c.Title {
			case demo.OpenConsultationTitle:
				if st.Comments != 5 || st.Hidden != 1 || st.Commenters != 3 {
					t.Errorf("open consultation stats = %+v", st)
				}
			case demo.ClosedConsultationTitle:
				if st.Comments != 5 || st.Adopted != 3 || st.Partly != 1 || st.NotAdopted != 1 {
					t.Errorf("closed consultation stats = %+v", st)
				}
			}
			var body string
			if err := d.Read().QueryRowContext(ctx, `SELECT body FROM ledger_entries WHERE object_type = 'consultation' AND object_id = $1
				ORDER BY created_at DESC, id DESC LIMIT 1`, c.ID).Scan(&body); err != nil {
				t.Fatal(err)
			}
			e, err := ledger.ParseEntry([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			state, err := s.LedgerState(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sha, _ := ledger.Digests(state); sha != e.SHA256 {
				t.Errorf("%s: the latest ledger entry (%s) does not digest the current state", c.Title, e.Event)
			}
		}
		if phases[demo.OpenConsultationTitle] != consultation.Open || phases[demo.ClosedConsultationTitle] != consultation.Reported {
			t.Errorf("phases = %v", phases)
		}
		figs, err := s.Figures(ctx)
		if err != nil || len(figs) != 2 {
			t.Fatalf("Figures = %+v, %v", figs, err)
		}
	})
}
