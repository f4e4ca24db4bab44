package crashtest

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestCrashMidLoad kills the server with SIGKILL while citizens file
// applications and staff decide on them, at several moments, and checks
// after each kill that the store kept every acknowledged submission,
// decision and upload, and holds no half-made application and no step in
// two states (see checkStore). Between kills the server restarts on what
// the crash left and must serve it: every acknowledged application is
// there for its applicant.
func TestCrashMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs server processes; skipped with -short")
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		crashRounds(t, node{dsn: "sqlite:" + filepath.Join(dir, "tongban.db"), dataDir: dir})
	})
	t.Run("postgres", func(t *testing.T) {
		crashRounds(t, node{dsn: dbtest.PostgresDSN(t), dataDir: t.TempDir()})
	})
}

// moment is when a round kills the server: once the load has had this
// many submissions and decisions acknowledged in the round, after a
// further random pause of up to jitter.
type moment struct {
	name                   string
	submissions, decisions int
	jitter                 time.Duration
}

var moments = []moment{
	{"as the load starts", 0, 0, 300 * time.Millisecond},
	{"while applicants submit", 3, 0, 400 * time.Millisecond},
	{"while staff decide", 6, 4, 400 * time.Millisecond},
}

func crashRounds(t *testing.T, n node) {
	ctx := context.Background()
	l := newLedger()
	for round, m := range moments {
		s := start(t, "server (round "+m.name+")", n)
		if round > 0 {
			checkServed(t, s, l)
		}
		subs0, decs0 := l.counts()
		lctx, cancel := context.WithCancel(ctx)
		wait, err := load(lctx, s.url, l)
		if err != nil {
			cancel()
			t.Fatalf("round %q: %v", m.name, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			subs, decs := l.counts()
			if subs-subs0 >= m.submissions && decs-decs0 >= m.decisions {
				break
			}
			if time.Now().After(deadline) {
				cancel()
				wait()
				t.Fatalf("round %q: only %d submissions and %d decisions acknowledged in 30s", m.name, subs-subs0, decs-decs0)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(rand.N(m.jitter))
		select {
		case <-s.done:
			t.Fatalf("round %q: the server exited by itself under load:\n%s", m.name, s.out.String())
		default:
		}
		s.kill()
		cancel()
		wait()
		subs, decs := l.counts()
		t.Logf("round %q: killed after %d submissions and %d decisions were acknowledged in total", m.name, subs, decs)
		verify(t, n, l)
	}
	// After the last crash the server comes back, serves what it had,
	// and files and decides more without tripping over what the crashes
	// left (the next tracking number, say).
	s := start(t, "server (after the crashes)", n)
	checkServed(t, s, l)
	subs0, _ := l.counts()
	lctx, cancel := context.WithCancel(ctx)
	wait, err := load(lctx, s.url, l)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for subs, _ := l.counts(); subs-subs0 < 3 && time.Now().Before(deadline); subs, _ = l.counts() {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wait()
	if subs, _ := l.counts(); subs-subs0 < 3 {
		t.Errorf("after the crashes: %d submissions acknowledged in 30s, want at least 3", subs-subs0)
	}
	s.stop()
	verify(t, n, l)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range l.unexpected {
		t.Errorf("unexpected answer under load: %s", u)
	}
}

// verify opens the store the server left and fails the test with every
// broken invariant.
func verify(t *testing.T, n node, l *ledger) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, n.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	blobs, err := blob.NewLocal(filepath.Join(n.dataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := checkStore(ctx, d, blobs, l)
	if err != nil {
		t.Fatalf("reading the store: %v", err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if len(bad) > 0 {
		t.FailNow()
	}
	t.Logf("store consistent: %s", summary(ctx, d))
}

// checkServed asks the server, as each applicant, for every application it
// acknowledged: it must be there with its number, filed.
func checkServed(t *testing.T, s *server, l *ledger) {
	t.Helper()
	ctx := context.Background()
	l.mu.Lock()
	subs := make(map[string]submissionAck, len(l.submissions))
	for id, ack := range l.submissions {
		subs[id] = ack
	}
	l.mu.Unlock()
	clients := map[string]*client{}
	for id, ack := range subs {
		c := clients[ack.user]
		if c == nil {
			var err error
			if c, err = login(ctx, s.url, ack.user); err != nil {
				t.Fatal(err)
			}
			clients[ack.user] = c
		}
		code, body, err := c.do(ctx, "GET", "/api/v1/applications/"+id, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			Number string `json:"number"`
			State  string `json:"state"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &a) != nil {
			t.Errorf("GET acknowledged application %s as %s = %d %s", id, ack.user, code, body)
			continue
		}
		if a.Number != ack.number || a.State == "draft" {
			t.Errorf("acknowledged application %s: served with number %q, state %s; acknowledged as %s", id, a.Number, a.State, ack.number)
		}
	}
}
