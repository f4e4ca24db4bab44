package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/i18n"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	testEmail = "zhangsan@example.cn"
	testPhone = "13812345678"
)

// addAccount inserts a person account with the given contact details.
func addAccount(t *testing.T, d *db.DB, id, email, phone string) {
	t.Helper()
	if _, err := d.Write().ExecContext(t.Context(), `INSERT INTO accounts (id, kind, username, password_hash, name, email, phone, created_at)
		VALUES ($1, 'person', $1, 'x', '张三', $2, $3, $4)`, id, email, phone, db.NewTime(t0)); err != nil {
		t.Fatal(err)
	}
}

// enqueue commits one notice and returns its ID.
func enqueue(t *testing.T, d *db.DB, n Notice) string {
	t.Helper()
	if n.Kind == "" {
		n.Kind, n.Args = ApplicationAccepted, []string{"LJ2026-000001", "食品经营许可"}
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = t0
	}
	ids := func() map[string]bool {
		rows, err := d.Read().QueryContext(t.Context(), `SELECT id FROM notices`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]bool{}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			m[id] = true
		}
		return m
	}
	before := ids()
	if err := d.Tx(t.Context(), func(tx *db.Tx) error { return Enqueue(t.Context(), tx, n) }); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	var id string
	for x := range ids() {
		if !before[x] {
			id = x
		}
	}
	return id
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueueCommitsWithTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, testPhone)
		addAccount(t, d, "u2", "", "")
		s := NewStore(d, func() time.Time { return t0 })
		n := Notice{AccountID: "u1", Kind: ApplicationApproved, Args: []string{"LJ2026-000001", "食品经营许可"}, Link: "/applications/a1"}

		// The state change fails after the notice was written: both
		// roll back, and nobody is told of a change that did not happen.
		boom := errors.New("state change failed")
		err := d.Tx(ctx, func(tx *db.Tx) error {
			if err := Enqueue(ctx, tx, n); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want %v", err, boom)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notices`); c != 0 {
			t.Fatalf("%d notices after rollback, want 0", c)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notice_deliveries`); c != 0 {
			t.Fatalf("%d deliveries after rollback, want 0", c)
		}

		id := enqueue(t, d, n)
		list, err := s.List(ctx, "u1", 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("List = %v, %v; want the notice", list, err)
		}
		got := list[0]
		if got.ID != id || got.Kind != ApplicationApproved || got.Link != "/applications/a1" || got.Read() || !got.CreatedAt.Equal(t0) {
			t.Fatalf("List()[0] = %+v", got)
		}
		if body := got.Body(i18n.ZH); !strings.Contains(body, "LJ2026-000001") || !strings.Contains(body, "食品经营许可") {
			t.Errorf("Body(zh) = %q, want the number and the service", body)
		}
		if subj := got.Subject(i18n.EN); subj != "Decision made: approved" {
			t.Errorf("Subject(en) = %q", subj)
		}
		if u, err := s.Unread(ctx, "u1"); err != nil || u != 1 {
			t.Fatalf("Unread = %d, %v; want 1", u, err)
		}
		ds, err := s.Deliveries(ctx, id)
		if err != nil || len(ds) != 2 || ds[0].Channel != Email || ds[1].Channel != SMS || ds[0].Status != Pending || ds[1].Status != Pending {
			t.Fatalf("Deliveries = %+v, %v; want pending email and SMS", ds, err)
		}
		// No address, no outside delivery: the inbox alone.
		id2 := enqueue(t, d, Notice{AccountID: "u2"})
		if ds, _ := s.Deliveries(ctx, id2); len(ds) != 0 {
			t.Fatalf("account without contacts got deliveries %+v", ds)
		}
		// The outbox does not copy addresses.
		if c := count(t, d, `SELECT COUNT(*) FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id WHERE n.args LIKE '%138%' OR n.args LIKE '%@%'`); c != 0 {
			t.Fatal("a contact detail was copied into the outbox")
		}
	})
}

func TestEnqueueRejectsBadNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		addAccount(t, d, "u1", "", "")
		two := []string{"LJ2026-000001", "食品经营许可"}
		for _, tc := range []struct {
			name string
			n    Notice
		}{
			{"no recipient", Notice{Kind: ApplicationApproved, Args: two}},
			{"unknown kind", Notice{AccountID: "u1", Kind: "party", Args: two}},
			{"too few args", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two[:1]}},
			{"too many args", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: append(two, "x")}},
			{"query in link", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, Link: "/applications?id=110105199001011232"}},
			{"absolute link", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, Link: "https://evil.example/"}},
			{"protocol-relative link", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, Link: "//evil.example/"}},
			{"unknown language", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, Lang: "fr"}},
			{"too few English args", Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, ArgsEn: two[:1]}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := d.Tx(t.Context(), func(tx *db.Tx) error { return Enqueue(t.Context(), tx, tc.n) })
				if err == nil {
					t.Fatalf("Enqueue(%+v) succeeded, want an error", tc.n)
				}
			})
		}
		err := d.Tx(t.Context(), func(tx *db.Tx) error {
			return Enqueue(t.Context(), tx, Notice{AccountID: "nobody", Kind: ApplicationApproved, Args: two})
		})
		if !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("Enqueue to an unknown account = %v, want ErrNotFound", err)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notices`); c != 0 {
			t.Fatalf("%d notices written by failed enqueues", c)
		}
	})
}

func TestEveryKindHasItsMessages(t *testing.T) {
	want := map[Kind]int{ApplicationAccepted: 2, SupplementRequested: 2, ApplicationApproved: 2, ApplicationDenied: 2, Concluded: 2, TaskAssigned: 2, TaskReturned: 3, "task_yellow": 3}
	for k, args := range want {
		for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
			if got := countVerbs(i18n.T(l, bodyKey(k))); got != args {
				t.Errorf("%s body in %s takes %d arguments, want %d", k, l, got, args)
			}
			if !i18n.Has(subjectKey(k)) {
				t.Errorf("%s has no subject", k)
			}
		}
	}
}

// TestKinds: the kinds listed are those with messages, the named ones
// among them, and none whose notice nobody sends; each reads with as many
// arguments in English as in Chinese.
func TestKinds(t *testing.T) {
	kinds := Kinds()
	for _, k := range []Kind{ApplicationAccepted, SupplementRequested, ApplicationApproved, ApplicationDenied, Concluded, TaskAssigned, TaskReturned,
		"task_yellow", "license_issued", "ticket_replied", "rectification_opened", "consultation_report"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("Kinds lacks %s: %v", k, kinds)
		}
	}
	for _, k := range []Kind{"decided", "task_warning", "unread", "email_footer"} {
		if slices.Contains(kinds, k) {
			t.Errorf("Kinds lists %s", k)
		}
	}
	if !slices.IsSorted(kinds) {
		t.Errorf("Kinds are not sorted: %v", kinds)
	}
	for _, k := range kinds {
		if zh, en := countVerbs(i18n.T(i18n.ZH, bodyKey(k))), countVerbs(i18n.T(i18n.EN, bodyKey(k))); zh != en {
			t.Errorf("%s takes %d arguments in Chinese, %d in English", k, zh, en)
		}
	}
}

func TestInbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", "", "")
		addAccount(t, d, "u2", "", "")
		s := NewStore(d, func() time.Time { return t0.Add(time.Hour) })
		first := enqueue(t, d, Notice{AccountID: "u1", CreatedAt: t0})
		second := enqueue(t, d, Notice{AccountID: "u1", Kind: "task_yellow", Args: []string{"LJ2026-000002", "户口迁移", "2026-03-09"}, CreatedAt: t0.Add(time.Minute)})
		other := enqueue(t, d, Notice{AccountID: "u2", CreatedAt: t0})

		list, err := s.List(ctx, "u1", 10)
		if err != nil || len(list) != 2 || list[0].ID != second || list[1].ID != first {
			t.Fatalf("List = %v, %v; want the two notices of u1, newest first", list, err)
		}
		if l, _ := s.List(ctx, "u1", 1); len(l) != 1 {
			t.Fatalf("List(limit 1) returned %d", len(l))
		}
		n, err := s.MarkRead(ctx, "u1", first)
		if err != nil || !n.Read() || !n.ReadAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("MarkRead = %+v, %v", n, err)
		}
		if _, err := s.MarkRead(ctx, "u1", first); err != nil {
			t.Fatalf("MarkRead again = %v, want no error", err)
		}
		if u, _ := s.Unread(ctx, "u1"); u != 1 {
			t.Fatalf("Unread(u1) = %d, want 1", u)
		}
		// Someone else's notice does not exist for u1.
		if _, err := s.MarkRead(ctx, "u1", other); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("MarkRead(another's notice) = %v, want ErrNotFound", err)
		}
		if _, err := s.Notice(ctx, "u1", other); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("Notice(another's notice) = %v, want ErrNotFound", err)
		}
		if u, _ := s.Unread(ctx, "u2"); u != 1 {
			t.Fatalf("Unread(u2) = %d after u1 tried to read it, want 1", u)
		}
	})
}

// recorder is a Sender that records messages and fails while fail says so.
type recorder struct {
	mu   sync.Mutex
	sent []Message
	fail func(n int) error // n: the number of this call, from 1
	n    int
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.fail != nil {
		if err := r.fail(r.n); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.sent...)
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestDeliverSendsEmailAndSMS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, testPhone)
		email, sms := &recorder{}, &recorder{}
		dl := &Deliverer{DB: d, Email: email, SMS: sms, BaseURL: "https://zwfw.example.gov.cn/", Now: func() time.Time { return t0.Add(time.Second) }}
		zh := enqueue(t, d, Notice{AccountID: "u1", Link: "/applications/a1"})
		enqueue(t, d, Notice{AccountID: "u1", Kind: Concluded, Args: []string{"LJ2026-000009", "出生医学证明"}, Lang: i18n.EN, CreatedAt: t0.Add(time.Millisecond)})

		n, err := dl.DeliverDue(ctx)
		if err != nil || n != 4 {
			t.Fatalf("DeliverDue = %d, %v; want 4 deliveries", n, err)
		}
		em, sm := email.messages(), sms.messages()
		if len(em) != 2 || len(sm) != 2 {
			t.Fatalf("sent %d emails and %d SMS, want 2 and 2", len(em), len(sm))
		}
		if em[0].To != testEmail || em[0].Subject != "办件已受理" || !strings.Contains(em[0].Text, "LJ2026-000001") ||
			!strings.Contains(em[0].Text, "https://zwfw.example.gov.cn/applications/a1") {
			t.Errorf("first email = %+v", em[0])
		}
		if em[1].Subject != "Application concluded" || !strings.Contains(em[1].Text, "is concluded") {
			t.Errorf("English notice's email = %+v", em[1])
		}
		if sm[0].To != testPhone || !strings.HasPrefix(sm[0].Text, "【通办】") || !strings.HasSuffix(sm[0].Text, " https://zwfw.example.gov.cn/applications/a1") {
			t.Errorf("first SMS = %+v", sm[0])
		}
		ds, _ := NewStore(d, time.Now).Deliveries(ctx, zh)
		for _, x := range ds {
			if x.Status != Sent || x.Attempts != 1 || !x.SentAt.Equal(t0.Add(time.Second)) {
				t.Errorf("delivery after sending = %+v", x)
			}
		}
		if n, err := dl.DeliverDue(ctx); err != nil || n != 0 {
			t.Fatalf("second DeliverDue = %d, %v; want nothing left", n, err)
		}
	})
}

func TestDeliverSkipsChannelsNotConfigured(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, testPhone)
		email := &recorder{}
		dl := &Deliverer{DB: d, Email: email, Now: func() time.Time { return t0 }}
		id := enqueue(t, d, Notice{AccountID: "u1"})
		if _, err := dl.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		ds, _ := NewStore(d, time.Now).Deliveries(ctx, id)
		if len(ds) != 2 || ds[0].Status != Sent || ds[1].Status != Skipped {
			t.Fatalf("deliveries = %+v; want email sent, SMS skipped", ds)
		}
	})
}

func TestDeliverRetriesWithBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, "")
		clk := &clock{t: t0}
		email := &recorder{fail: func(n int) error {
			if n <= 2 {
				return fmt.Errorf("421 4.7.0 try again later")
			}
			return nil
		}}
		dl := &Deliverer{DB: d, Email: email, Now: clk.now, Backoff: time.Minute, MaxAttempts: 5}
		id := enqueue(t, d, Notice{AccountID: "u1"})
		s := NewStore(d, time.Now)
		state := func() Delivery {
			ds, err := s.Deliveries(ctx, id)
			if err != nil || len(ds) != 1 {
				t.Fatalf("Deliveries = %+v, %v", ds, err)
			}
			return ds[0]
		}
		steps := []struct {
			at       time.Duration
			calls    int
			status   Status
			attempts int
			due      time.Duration
		}{
			{0, 1, Pending, 1, time.Minute},                         // fails: retry after 1m
			{time.Minute - time.Second, 1, Pending, 1, time.Minute}, // not due yet
			{time.Minute, 2, Pending, 2, 3 * time.Minute},           // fails: wait doubles to 2m
			{2 * time.Minute, 2, Pending, 2, 3 * time.Minute},       // not due yet
			{3 * time.Minute, 3, Sent, 3, 3 * time.Minute},          // succeeds
			{time.Hour, 3, Sent, 3, 3 * time.Minute},                // nothing more
		}
		for _, st := range steps {
			clk.set(t0.Add(st.at))
			if _, err := dl.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			got := state()
			if email.calls() != st.calls || got.Status != st.status || got.Attempts != st.attempts || !got.DueAt.Equal(t0.Add(st.due)) {
				t.Fatalf("at +%s: %d sends, delivery %s after %d attempts due +%s; want %d, %s, %d, +%s",
					st.at, email.calls(), got.Status, got.Attempts, got.DueAt.Sub(t0), st.calls, st.status, st.attempts, st.due)
			}
		}
		if got := state(); got.LastError != "" {
			t.Errorf("LastError after success = %q, want empty", got.LastError)
		}
	})
}

func TestDeliverGivesUpAfterTheLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, testPhone)
		clk := &clock{t: t0}
		// Servers quote the address they refuse: it must not reach the
		// log or the database.
		email := &recorder{fail: func(int) error { return fmt.Errorf("451 4.3.0 <%s>: temporarily unavailable", testEmail) }}
		sms := &recorder{fail: func(int) error { return fmt.Errorf("gateway: number %s busy", testPhone) }}
		var logBuf bytes.Buffer
		dl := &Deliverer{DB: d, Email: email, SMS: sms, Now: clk.now, Backoff: time.Minute, MaxBackoff: 90 * time.Second, MaxAttempts: 3,
			Log: slog.New(slog.NewTextHandler(&logBuf, nil))}
		id := enqueue(t, d, Notice{AccountID: "u1"})
		s := NewStore(d, time.Now)
		for i := range 10 {
			clk.set(t0.Add(time.Duration(i) * 2 * time.Minute))
			if _, err := dl.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if email.calls() != 3 || sms.calls() != 3 {
			t.Fatalf("tried email %d and SMS %d times, want 3 each", email.calls(), sms.calls())
		}
		ds, _ := s.Deliveries(ctx, id)
		for _, x := range ds {
			if x.Status != Failed || x.Attempts != 3 || x.LastError == "" {
				t.Errorf("delivery = %+v; want failed after 3 attempts with the error", x)
			}
			if strings.Contains(x.LastError, testEmail) || strings.Contains(x.LastError, testPhone) {
				t.Errorf("stored error %q carries the address", x.LastError)
			}
		}
		if n, err := s.FailedDeliveries(ctx); err != nil || n != 2 {
			t.Fatalf("FailedDeliveries = %d, %v; want 2", n, err)
		}
		log := logBuf.String()
		if !strings.Contains(log, "giving up") {
			t.Errorf("the give-up is not logged:\n%s", log)
		}
		if strings.Contains(log, testEmail) || strings.Contains(log, testPhone) || strings.Contains(log, "12345678") {
			t.Errorf("log carries an address:\n%s", log)
		}
	})
}

func TestDeliverPermanentErrorFailsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		addAccount(t, d, "u1", testEmail, "")
		email := &recorder{fail: func(int) error { return Permanent(errors.New("550 5.1.1 mailbox unavailable")) }}
		dl := &Deliverer{DB: d, Email: email, Now: func() time.Time { return t0 }}
		id := enqueue(t, d, Notice{AccountID: "u1"})
		dl.DeliverDue(t.Context())
		ds, _ := NewStore(d, time.Now).Deliveries(t.Context(), id)
		if len(ds) != 1 || ds[0].Status != Failed || ds[0].Attempts != 1 {
			t.Fatalf("deliveries = %+v; want failed after one attempt", ds)
		}
	})
}

// TestDeliverAfterCrashSendsAgain: a node claimed a delivery and died
// before recording it (perhaps after sending). When its claim lapses,
// another node sends it: at least once, never lost.
func TestDeliverAfterCrashSendsAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, "")
		id := enqueue(t, d, Notice{AccountID: "u1"})
		got, err := deliveries.Claim(ctx, d, "crashed-node", t0, 10*time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		email := &recorder{}
		clk := &clock{t: t0.Add(time.Minute)}
		dl := &Deliverer{DB: d, Email: email, Now: clk.now, ClaimTTL: 10 * time.Minute}
		if n, _ := dl.DeliverDue(ctx); n != 0 || email.calls() != 0 {
			t.Fatalf("a live claim was taken over: %d claimed, %d sent", n, email.calls())
		}
		clk.set(t0.Add(10 * time.Minute))
		if n, err := dl.DeliverDue(ctx); err != nil || n != 1 || email.calls() != 1 {
			t.Fatalf("after the claim lapsed: %d claimed, %d sent, %v; want 1, 1", n, email.calls(), err)
		}
		ds, _ := NewStore(d, time.Now).Deliveries(ctx, id)
		if ds[0].Status != Sent {
			t.Fatalf("delivery = %+v, want sent", ds[0])
		}
	})
}

// TestTwoDeliverersDeliverEachOnce runs two Deliverers, as two nodes would,
// over one database with many notices: each is sent exactly once.
func TestTwoDeliverersDeliverEachOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		const notices = 150
		addAccount(t, d, "u1", testEmail, testPhone)
		err := d.Tx(t.Context(), func(tx *db.Tx) error {
			for i := range notices {
				n := Notice{AccountID: "u1", Kind: TaskAssigned, Args: []string{fmt.Sprintf("LJ2026-%06d", i), "食品经营许可"}, CreatedAt: t0}
				if err := Enqueue(t.Context(), tx, n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		sent := map[string]int{}
		counter := &countingSender{mu: &mu, sent: sent}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for i := range 2 {
			dl := &Deliverer{DB: d, Email: counter.channel("email"), SMS: counter.channel("sms"), Owner: fmt.Sprintf("node%d", i), Batch: 7, Poll: 10 * time.Millisecond}
			wg.Go(func() { dl.Run(ctx) })
		}
		deadline := time.Now().Add(60 * time.Second)
		for count(t, d, `SELECT COUNT(*) FROM notice_deliveries WHERE status = 'pending'`) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("deliveries still pending after a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(sent) != 2*notices {
			t.Fatalf("%d distinct messages sent, want %d", len(sent), 2*notices)
		}
		for k, n := range sent {
			if n != 1 {
				t.Errorf("%s sent %d times", k, n)
			}
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notice_deliveries WHERE status = 'sent'`); c != 2*notices {
			t.Fatalf("%d deliveries recorded sent, want %d", c, 2*notices)
		}
	})
}

type countingSender struct {
	mu   *sync.Mutex
	sent map[string]int
}

func (c *countingSender) channel(name string) Sender {
	return senderFunc(func(ctx context.Context, m Message) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.sent[name+" "+m.Text]++
		return nil
	})
}

type senderFunc func(context.Context, Message) error

func (f senderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	d := &Deliverer{Backoff: 30 * time.Second, MaxBackoff: 5 * time.Minute}
	for attempts, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 4: 4 * time.Minute, 5: 5 * time.Minute, 30: 5 * time.Minute} {
		if got := d.backoff(attempts); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempts, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct{ in, to, want string }{
		{"550 <a.b@example.cn>: no such user", "a.b@example.cn", "550 <[recipient]>: no such user"},
		{"550 other@example.cn unknown", "a@b.cn", "550 [address] unknown"},
		{"number 13812345678 busy", "13812345678", "number [recipient] busy"},
		{"call +86 138 1234 5678 later", "", "call [number] later"},
		{"421 4.7.0 try later", "x@y.cn", "421 4.7.0 try later"},
	} {
		if got := scrub(tc.in, tc.to); got != tc.want {
			t.Errorf("scrub(%q, %q) = %q, want %q", tc.in, tc.to, got, tc.want)
		}
	}
}

// TestDeliverShutdownMidBatch: shutdown begins while the first of a batch
// is being sent. That send completes and is recorded; the rest are handed
// back unclaimed, for any node to send at once.
func TestDeliverShutdownMidBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		addAccount(t, d, "u1", testEmail, "")
		for i := range 3 {
			enqueue(t, d, Notice{AccountID: "u1", CreatedAt: t0.Add(time.Duration(i) * time.Second)})
		}
		ctx, cancel := context.WithCancel(t.Context())
		email := senderFunc(func(sctx context.Context, m Message) error {
			cancel() // the signal arrives mid-send
			return sctx.Err()
		})
		dl := &Deliverer{DB: d, Email: email, Owner: "me", Now: func() time.Time { return t0.Add(time.Minute) }}
		n, err := dl.DeliverDue(ctx)
		if err != nil || n != 3 {
			t.Fatalf("DeliverDue = %d, %v; want 3 claimed", n, err)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notice_deliveries WHERE status = 'sent'`); c != 1 {
			t.Fatalf("%d sent, want the one in hand", c)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notice_deliveries WHERE status = 'pending' AND claimed_by = '' AND claimed_until IS NULL`); c != 2 {
			t.Fatalf("%d pending and unclaimed, want 2", c)
		}
	})
}

// EnqueueAll writes each notice as Enqueue would, in three statements,
// and an unknown recipient among them writes none.
func TestEnqueueAll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, testPhone)
		addAccount(t, d, "u2", "", testPhone)
		addAccount(t, d, "u3", "", "")
		s := NewStore(d, func() time.Time { return t0 })
		two := []string{"SCJG2026112900042", "设立登记"}
		err := d.Tx(ctx, func(tx *db.Tx) error {
			return EnqueueAll(ctx, tx,
				Notice{AccountID: "u1", Kind: ApplicationApproved, Args: two, Link: "/applications/a1"},
				Notice{AccountID: "nobody", Kind: ApplicationApproved, Args: two})
		})
		if !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("EnqueueAll with an unknown recipient = %v, want ErrNotFound", err)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM notices`); c != 0 {
			t.Fatalf("%d notices written by a failed EnqueueAll", c)
		}
		var ns []Notice
		for _, id := range []string{"u1", "u2", "u3", "u1"} {
			ns = append(ns, Notice{AccountID: id, Kind: ApplicationApproved, Args: two, Link: "/applications/a1"})
		}
		if err := d.Tx(ctx, func(tx *db.Tx) error { return EnqueueAll(ctx, tx, ns...) }); err != nil {
			t.Fatal(err)
		}
		want := map[string][]Channel{"u1": {Email, SMS}, "u2": {SMS}, "u3": nil}
		for id, channels := range want {
			list, err := s.List(ctx, id, 10)
			if err != nil {
				t.Fatal(err)
			}
			if n := map[string]int{"u1": 2}[id]; len(list) != max(n, 1) {
				t.Fatalf("%s has %d notices, want %d", id, len(list), max(n, 1))
			}
			for _, n := range list {
				if n.Kind != ApplicationApproved || n.Link != "/applications/a1" || !strings.Contains(n.Body(i18n.ZH), two[0]) {
					t.Errorf("%s got %+v", id, n)
				}
				ds, err := s.Deliveries(ctx, n.ID)
				if err != nil || len(ds) != len(channels) {
					t.Fatalf("%s: deliveries %+v, %v; want %v", id, ds, err, channels)
				}
				for i, d := range ds {
					if d.Channel != channels[i] || d.Status != Pending {
						t.Errorf("%s: delivery %+v, want pending %s", id, d, channels[i])
					}
				}
			}
		}
	})
}

// TestEnglishArgs: a notice with arguments for English readers (a
// service's English name) reads with them in English, in the inbox and in
// email, and with the Chinese ones in Chinese; a notice without reads the
// same in both.
func TestEnglishArgs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		addAccount(t, d, "u1", testEmail, "")
		both := enqueue(t, d, Notice{AccountID: "u1", Kind: Concluded, Args: []string{"LJ2026-000009", "食品经营许可"},
			ArgsEn: []string{"LJ2026-000009", "Food Business License"}, Lang: i18n.EN})
		plain := enqueue(t, d, Notice{AccountID: "u1", Kind: Concluded, Args: []string{"LJ2026-000010", "出生医学证明"}, CreatedAt: t0.Add(time.Minute)})
		s := NewStore(d, time.Now)
		for _, tc := range []struct {
			id, zh, en string
		}{
			{both, "食品经营许可", "Food Business License"},
			{plain, "出生医学证明", "出生医学证明"},
		} {
			n, err := s.Notice(ctx, "u1", tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if zh, en := n.Body(i18n.ZH), n.Body(i18n.EN); !strings.Contains(zh, tc.zh) || !strings.Contains(en, tc.en) {
				t.Errorf("notice %s reads %q in Chinese and %q in English; want %q and %q", tc.id, zh, en, tc.zh, tc.en)
			}
		}
		email := &recorder{}
		dl := &Deliverer{DB: d, Email: email, BaseURL: "https://zwfw.example.gov.cn/", Now: func() time.Time { return t0.Add(time.Hour) }}
		if _, err := dl.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if em := email.messages(); len(em) != 2 || !strings.Contains(em[0].Text, "Food Business License") || strings.Contains(em[0].Text, "食品经营许可") {
			t.Errorf("the English notice's email: %+v", em)
		}
	})
}

func TestEnglishArgsFor(t *testing.T) {
	args := []string{"LJ2026-000009", "食品经营许可"}
	if got := EnglishArgs(args, 1, "Food Business License"); !slices.Equal(got, []string{"LJ2026-000009", "Food Business License"}) || args[1] != "食品经营许可" {
		t.Errorf("EnglishArgs = %q, args now %q", got, args)
	}
	for _, tc := range []struct {
		i  int
		en string
	}{{1, ""}, {2, "x"}, {-1, "x"}} {
		if got := EnglishArgs(args, tc.i, tc.en); got != nil {
			t.Errorf("EnglishArgs(%d, %q) = %q, want nil", tc.i, tc.en, got)
		}
	}
}
