package crashtest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestTwoNodesMarkLateTasksOnce runs two servers on one PostgreSQL
// database, each scanning for late tasks every second, and backdates the
// deadlines of open tasks: every task must be marked (yellow or red)
// exactly once, with its log entry and its people's notices once each,
// also when the node holding the scanner's lease stops and the other
// takes over. SQLite serves one node by design, so it has no such test.
func TestTwoNodesMarkLateTasksOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs server processes; skipped with -short")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Skip("SQLite is a single-node store: several nodes need PostgreSQL")
	})
	t.Run("postgres", testTwoNodes)
}

func testTwoNodes(t *testing.T) {
	ctx := context.Background()
	n := node{dsn: dbtest.PostgresDSN(t), dataDir: t.TempDir()}
	d, err := db.Open(ctx, n.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// A first node, scanning once at start and then not for a day, sets
	// the scene: nine applications filed and three accepted, so both
	// intake tasks (for clerks) and decision tasks (for approvers) are
	// open. A task due tomorrow is yellow today, so their deadlines move
	// far out before any node scans again.
	setup := start(t, "setup node", n, "-warning-scan-every", "24h")
	l := newLedger()
	var filed []string
	for _, user := range []string{"zhangsan", "lisi", "wangwu"} {
		c, err := login(ctx, setup.url, user)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			id, gone := file(ctx, c, l)
			if gone || id == "" {
				t.Fatalf("filing as %s failed: %v", user, l.unexpected)
			}
			filed = append(filed, id)
		}
	}
	clerk, err := login(ctx, setup.url, "scjg-clerk")
	if err != nil {
		t.Fatal(err)
	}
	for _, appID := range filed[:3] {
		var taskID string
		if err := d.Read().QueryRowContext(ctx, `SELECT id FROM tasks WHERE application_id = $1 AND state = 'open'`, appID).Scan(&taskID); err != nil {
			t.Fatal(err)
		}
		code, body, err := clerk.postJSON(ctx, "/api/v1/tasks/"+taskID+"/decision", map[string]string{"action": "accept"})
		if err != nil || code != http.StatusOK {
			t.Fatalf("accept task %s = %d %s %v", taskID, code, body, err)
		}
	}
	// The demo city comes with applications of its own, some already
	// late; close their tasks so this scene is only the test's nine.
	ph := make([]string, len(filed))
	args := make([]any, len(filed))
	for i, id := range filed {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	if _, err := d.Write().ExecContext(ctx, `UPDATE tasks SET state = 'cancelled' WHERE state = 'open' AND application_id NOT IN (`+strings.Join(ph, ", ")+`)`, args...); err != nil {
		t.Fatal(err)
	}
	open := openTasks(t, d)
	if len(open) != 9 {
		t.Fatalf("%d open tasks, want 9 (6 intake, 3 decision)", len(open))
	}
	ids := make([]string, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// The deadlines set by hand below follow no calendar: have the
	// calendar counted long ago, so that no scan's recount of running
	// deadlines (calendar.Store.Recount) puts them back.
	if _, err := d.Write().ExecContext(ctx, `UPDATE calendar_revision SET changed_at = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write().ExecContext(ctx, `UPDATE deadline_recount SET calendar_revision = (SELECT revision FROM calendar_revision WHERE id = 1)`); err != nil {
		t.Fatal(err)
	}
	backdate(t, d, ids, "2999-12-30", "2999-12-31")
	var marked int
	if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM application_events WHERE action LIKE 'warning_%' AND application_id IN (`+strings.Join(ph, ", ")+`)`, args...).Scan(&marked); err != nil || marked != 0 {
		t.Fatalf("%d warnings before the test's scans (%v), want 0", marked, err)
	}
	setup.stop()
	red1, yellow, red2 := ids[:3], ids[3:6], ids[6:]

	scan := []string{"-warning-scan-every", "1s"}
	a := start(t, "node A", n, scan...)
	b := start(t, "node B", n, scan...)
	nodes := map[int]*server{a.pid(): a, b.pid(): b}

	// Round 1: both nodes up; one holds the lease and marks.
	backdate(t, d, red1, "2000-01-07", "2000-01-10")
	backdate(t, d, yellow, "2000-01-07", "2999-12-31")
	waitMarked(t, d, red1, "red", 20*time.Second)
	waitMarked(t, d, yellow, "yellow", 20*time.Second)
	// A few more scans, by whichever node, must change nothing.
	time.Sleep(3 * time.Second)
	checkMarks(t, d, open, red1, yellow)
	holder := leaseHolder(t, d, nodes)

	// Round 2: the holder stops (a rolling restart); the other node takes
	// the lease and marks the rest, and nothing marked before twice.
	holder.stop()
	backdate(t, d, red2, "2000-01-07", "2000-01-10")
	waitMarked(t, d, red2, "red", 30*time.Second)
	time.Sleep(3 * time.Second)
	checkMarks(t, d, open, append(append([]string{}, red1...), red2...), yellow)
	if next := leaseHolder(t, d, nodes); next == holder {
		t.Errorf("the lease is still held by the stopped node %s", holder.name)
	}
	if len(l.unexpected) > 0 {
		t.Errorf("unexpected answers: %v", l.unexpected)
	}
}

// openTasks maps each open task to the role it waits for.
func openTasks(t *testing.T, d *db.DB) map[string]string {
	t.Helper()
	rows, err := d.Read().QueryContext(context.Background(), `SELECT id, role FROM tasks WHERE state = 'open'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, role string
		if err := rows.Scan(&id, &role); err != nil {
			t.Fatal(err)
		}
		out[id] = role
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// backdate moves tasks' warning and due dates, as if they had opened long
// ago.
func backdate(t *testing.T, d *db.DB, ids []string, yellowDate, dueDate string) {
	t.Helper()
	for _, id := range ids {
		if _, err := d.Write().ExecContext(context.Background(), `UPDATE tasks SET yellow_date = $1, due_date = $2 WHERE id = $3`, yellowDate, dueDate, id); err != nil {
			t.Fatal(err)
		}
	}
}

// waitMarked waits until every task carries the warning.
func waitMarked(t *testing.T, d *db.DB, ids []string, warning string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		unmarked := 0
		for _, id := range ids {
			var w string
			if err := d.Read().QueryRowContext(context.Background(), `SELECT warning FROM tasks WHERE id = $1`, id).Scan(&w); err != nil {
				t.Fatal(err)
			}
			if w != warning {
				unmarked++
			}
		}
		if unmarked == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d late tasks still not %s after %s", unmarked, len(ids), warning, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// leaseHolder returns the node whose owner name holds the scanner's lease
// (owners are host/pid/random).
func leaseHolder(t *testing.T, d *db.DB, nodes map[int]*server) *server {
	t.Helper()
	var owner string
	if err := d.Read().QueryRowContext(context.Background(), `SELECT owner FROM leases WHERE name = 'application-warnings'`).Scan(&owner); err != nil {
		t.Fatalf("warning lease: %v", err)
	}
	parts := strings.Split(owner, "/")
	if len(parts) >= 2 {
		if pid, err := strconv.Atoi(parts[len(parts)-2]); err == nil && nodes[pid] != nil {
			return nodes[pid]
		}
	}
	t.Fatalf("warning lease held by %q, neither node", owner)
	return nil
}

// checkMarks checks that each red task was marked red once and never
// yellow, each yellow task yellow once and never red, and that the others
// are unmarked; and that each mark told exactly its people, once each.
// Unclaimed, a task's warnings go to the holders of its role in SCJG (in
// the demo, scjg-clerk for intake and scjg-approver for decisions); red
// also to SCJG's admin (scjg-admin) and the supervisor (jiancha).
func checkMarks(t *testing.T, d *db.DB, open map[string]string, red, yellow []string) {
	t.Helper()
	want := map[string]string{}
	for id := range open {
		want[id] = ""
	}
	for _, id := range red {
		want[id] = "red"
	}
	for _, id := range yellow {
		want[id] = "yellow"
	}
	holder := map[string]string{"clerk": "scjg-clerk", "approver": "scjg-approver"}
	for id, w := range want {
		for _, mark := range []string{"yellow", "red"} {
			var n int
			if err := d.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM application_events WHERE task_id = $1 AND action = $2`, id, "warning_"+mark).Scan(&n); err != nil {
				t.Fatal(err)
			}
			wantN := 0
			if mark == w {
				wantN = 1
			}
			if n != wantN {
				t.Errorf("task %s (%s, want %q): %d warning_%s log entries, want %d", id, open[id], w, n, mark, wantN)
			}
			got := noticeCounts(t, d, "task_"+mark, "/staff/tasks/"+id)
			wantTo := ""
			if mark == w {
				to := []string{holder[open[id]]}
				if mark == "red" {
					to = append(to, "scjg-admin", "jiancha")
				}
				sort.Strings(to)
				for i := range to {
					to[i] += "×1"
				}
				wantTo = strings.Join(to, " ")
			}
			if got != wantTo {
				t.Errorf("task %s (%s, want %q): task_%s notices to [%s], want [%s]", id, open[id], w, mark, got, wantTo)
			}
		}
	}
}

// noticeCounts lists who got notices of a kind about a link, and how many
// each, as "user×n" sorted.
func noticeCounts(t *testing.T, d *db.DB, kind, link string) string {
	t.Helper()
	rows, err := d.Read().QueryContext(context.Background(), `SELECT a.username, COUNT(*) FROM notices n JOIN accounts a ON a.id = n.account_id
		WHERE n.kind = $1 AND n.link = $2 GROUP BY a.username ORDER BY a.username`, kind, link)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var user string
		var n int
		if err := rows.Scan(&user, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s×%d", user, n))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}
