package crashtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
)

// numberRE is the shape of a tracking number: department, date, five-digit
// daily sequence.
var numberRE = regexp.MustCompile(`^([A-Z]+[0-9]{8})([0-9]{5})$`)

// appRow is what the checks read of an application.
type appRow struct {
	id, state, number, acceptDate, submittedAt, concludedAt string
}

// taskRow is what the checks read of a task.
type taskRow struct {
	id, appID, stepID, state, outcome, closedAt string
	signers                                     int
}

// eventRow is what the checks read of a log entry.
type eventRow struct {
	seq                     int
	action, toState, taskID string
}

// checkStore reads the whole store and returns every way it breaks the
// promises a crash must keep, each described precisely; none is good.
func checkStore(ctx context.Context, d *db.DB, blobs blob.Store, l *ledger) ([]string, error) {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	q := d.Read()

	apps := map[string]*appRow{}
	rows, err := q.QueryContext(ctx, `SELECT id, state, COALESCE(number, ''), COALESCE(accept_date, ''), COALESCE(submitted_at, ''), COALESCE(concluded_at, '') FROM applications`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		a := &appRow{}
		if err := rows.Scan(&a.id, &a.state, &a.number, &a.acceptDate, &a.submittedAt, &a.concludedAt); err != nil {
			rows.Close()
			return nil, err
		}
		apps[a.id] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	tasks := map[string][]taskRow{} // by application
	taskByID := map[string]taskRow{}
	rows, err = q.QueryContext(ctx, `SELECT id, application_id, step_id, state, outcome, COALESCE(closed_at, ''), signers FROM tasks ORDER BY opened_at, id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t taskRow
		if err := rows.Scan(&t.id, &t.appID, &t.stepID, &t.state, &t.outcome, &t.closedAt, &t.signers); err != nil {
			rows.Close()
			return nil, err
		}
		tasks[t.appID] = append(tasks[t.appID], t)
		taskByID[t.id] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	events := map[string][]eventRow{} // by application, in seq order
	rows, err = q.QueryContext(ctx, `SELECT application_id, seq, action, to_state, task_id FROM application_events ORDER BY application_id, seq`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var app string
		var e eventRow
		if err := rows.Scan(&app, &e.seq, &e.action, &e.toState, &e.taskID); err != nil {
			rows.Close()
			return nil, err
		}
		events[app] = append(events[app], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	notices := map[string]int{} // "kind link" → count
	rows, err = q.QueryContext(ctx, `SELECT kind, link, COUNT(*) FROM notices GROUP BY kind, link`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var kind, link string
		var n int
		if err := rows.Scan(&kind, &link, &n); err != nil {
			rows.Close()
			return nil, err
		}
		notices[kind+" "+link] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// letters are the applications' decision letters, refusals their
	// notices of refusal at intake.
	letters, refusals := map[string]bool{}, map[string]bool{}
	rows, err = q.QueryContext(ctx, `SELECT application_id, kind FROM application_results`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, kind string
		if err := rows.Scan(&id, &kind); err != nil {
			rows.Close()
			return nil, err
		}
		if kind == "refusal_notice" {
			refusals[id] = true
		} else {
			letters[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Every acknowledged submission is there, filed under its number.
	l.mu.Lock()
	for id, ack := range l.submissions {
		a := apps[id]
		switch {
		case a == nil:
			fail("acknowledged submission %s (number %s, by %s) is missing", id, ack.number, ack.user)
		case a.number != ack.number:
			fail("acknowledged submission %s has number %q, the server answered %q", id, a.number, ack.number)
		case a.state == "draft":
			fail("acknowledged submission %s (number %s) is a draft again", id, ack.number)
		}
	}
	// Every acknowledged decision is recorded: its task is done and the
	// log has it.
	for taskID, ack := range l.decisions {
		t, ok := taskByID[taskID]
		if !ok {
			fail("task %s of an acknowledged %s decision is missing", taskID, ack.action)
			continue
		}
		if t.state != "done" || t.outcome != "passed" {
			fail("task %s: acknowledged %s, but the task is %s/%q", taskID, ack.action, t.state, t.outcome)
		}
		logged := 0
		for _, e := range events[ack.appID] {
			if e.taskID == taskID && e.action == ack.action {
				logged++
			}
		}
		if logged != 1 {
			fail("task %s: acknowledged %s is in the log %d times, want 1", taskID, ack.action, logged)
		}
		a := apps[ack.appID]
		switch {
		case a == nil:
			fail("application %s of acknowledged decision on task %s is missing", ack.appID, taskID)
		case ack.action == "accept" && (a.state == "draft" || a.state == "submitted"):
			fail("application %s: intake acknowledged on task %s, but the application is %s", a.id, taskID, a.state)
		case ack.action == "conclude" && a.state != "concluded":
			fail("application %s: conclusion acknowledged on task %s, but the application is %s", a.id, taskID, a.state)
		}
	}
	// Every acknowledged upload is recorded.
	ackedMaterials := map[string]materialAck{}
	for id, m := range l.materials {
		ackedMaterials[id] = m
	}
	l.mu.Unlock()

	ids := make([]string, 0, len(apps))
	for id := range apps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := apps[id]
		ts, es := tasks[id], events[id]
		// The log has no gaps and starts with the draft's creation.
		for i, e := range es {
			if e.seq != i+1 {
				fail("application %s: log entry %d has seq %d (gap or duplicate)", id, i+1, e.seq)
				break
			}
		}
		if len(es) == 0 || es[0].action != "created" {
			fail("application %s: log does not start with \"created\"", id)
		}
		// The application is in the state its log last moved it to.
		last := ""
		for _, e := range es {
			if e.toState != "" {
				last = e.toState
			}
		}
		if last != a.state {
			fail("application %s is %s, but its log last moved it to %q", id, a.state, last)
		}
		submitted := 0
		for _, e := range es {
			if e.action == "submitted" {
				submitted++
			}
		}
		if a.state == "draft" {
			if a.number != "" || a.submittedAt != "" || len(ts) != 0 || submitted != 0 {
				fail("draft %s is half filed: number %q, submitted_at %q, %d tasks, %d submitted log entries", id, a.number, a.submittedAt, len(ts), submitted)
			}
			continue
		}
		// A filed application has its number, its submission in the log
		// once, the applicant told once, and at least one task.
		if !numberRE.MatchString(a.number) || a.submittedAt == "" {
			fail("application %s is %s with number %q and submitted_at %q", id, a.state, a.number, a.submittedAt)
		}
		if submitted != 1 {
			fail("application %s: %d \"submitted\" log entries, want 1", id, submitted)
		}
		if n := notices["application_submitted /applications/"+id]; n != 1 {
			fail("application %s: %d submission notices, want 1", id, n)
		}
		if len(ts) == 0 {
			fail("application %s is %s but has no task", id, a.state)
		}
		open := map[string]int{}
		nOpen := 0
		for _, t := range ts {
			switch t.state {
			case "open":
				open[t.stepID]++
				nOpen++
				if t.outcome != "" || t.closedAt != "" {
					fail("task %s is open with outcome %q, closed_at %q", t.id, t.outcome, t.closedAt)
				}
			case "done":
				if t.outcome == "" || t.closedAt == "" {
					fail("task %s is done with outcome %q, closed_at %q", t.id, t.outcome, t.closedAt)
				}
			case "cancelled":
				if t.closedAt == "" {
					fail("task %s is cancelled without closed_at", t.id)
				}
			default:
				fail("task %s has state %q", t.id, t.state)
			}
			// Each task was opened once in the log and, once decided,
			// decided once.
			opened, decided := 0, 0
			for _, e := range es {
				if e.taskID != t.id {
					continue
				}
				switch e.action {
				case "step_opened":
					opened++
				case "accept", "refuse", "pass", "reject", "approve", "deny", "conclude":
					decided++
				}
			}
			if t.outcome != "skipped" && opened != 1 {
				fail("task %s (step %s): %d \"step_opened\" log entries, want 1", t.id, t.stepID, opened)
			}
			if t.state == "done" && t.outcome != "skipped" && t.signers <= 1 && decided != 1 {
				fail("task %s (step %s) is done with %d decisions in the log, want 1", t.id, t.stepID, decided)
			}
			if t.state != "done" && decided != 0 {
				fail("task %s (step %s) is %s but the log has %d decisions on it", t.id, t.stepID, t.state, decided)
			}
		}
		for step, n := range open {
			if n > 1 {
				fail("application %s: step %s has %d open tasks", id, step, n)
			}
		}
		for _, e := range es {
			if e.action == "step_opened" {
				if _, ok := taskByID[e.taskID]; !ok {
					fail("application %s: log opened task %q, which does not exist", id, e.taskID)
				}
			}
		}
		switch a.state {
		case "submitted", "accepted":
			if nOpen == 0 {
				fail("application %s is %s with no open task: it would never move on", id, a.state)
			}
		case "concluded", "refused", "withdrawn":
			if nOpen != 0 {
				fail("application %s is %s with %d open tasks", id, a.state, nOpen)
			}
		}
		if a.state == "submitted" {
			for _, t := range ts {
				if t.stepID != "accept" || t.state != "open" {
					fail("application %s is submitted (not yet accepted) but has task %s of step %s, %s", id, t.id, t.stepID, t.state)
				}
			}
		}
		if (a.state == "accepted" || a.state == "concluded") && a.acceptDate == "" {
			fail("application %s is %s without an accept date", id, a.state)
		}
		if a.state == "concluded" {
			if !letters[id] || a.concludedAt == "" {
				fail("application %s is concluded, letter %v, concluded_at %q", id, letters[id], a.concludedAt)
			}
			if n := notices["concluded /applications/"+id]; n != 1 {
				fail("application %s: %d conclusion notices, want 1", id, n)
			}
		} else if letters[id] {
			fail("application %s is %s but has a decision letter", id, a.state)
		}
		if refused := a.state == "refused"; refused != refusals[id] {
			fail("application %s is %s, notice of refusal %v", id, a.state, refusals[id])
		}
	}

	// Numbers are unique, and the daily sequences are past every number
	// given, so the next submission cannot collide with one filed before
	// the crash.
	byNumber := map[string]string{}
	maxSeq := map[string]int{}
	for _, id := range ids {
		a := apps[id]
		if a.number == "" {
			continue
		}
		if other, ok := byNumber[a.number]; ok {
			fail("number %s is given to both %s and %s", a.number, other, id)
		}
		byNumber[a.number] = id
		if m := numberRE.FindStringSubmatch(a.number); m != nil {
			n, _ := strconv.Atoi(m[2])
			maxSeq[m[1]] = max(maxSeq[m[1]], n)
		}
	}
	for prefix, n := range maxSeq {
		var last int
		if err := q.QueryRowContext(ctx, `SELECT last FROM number_sequences WHERE prefix = $1`, prefix).Scan(&last); err != nil {
			fail("number sequence %s: %v", prefix, err)
		} else if last < n {
			fail("number sequence %s is at %d, but number %s%05d was given", prefix, last, prefix, n)
		}
	}

	// Every material row has its file, with the content it was hashed
	// from; every acknowledged upload has its row.
	rows, err = q.QueryContext(ctx, `SELECT id, application_id, sha256, blob_key FROM application_materials`)
	if err != nil {
		return nil, err
	}
	type mat struct{ id, appID, sum, key string }
	var mats []mat
	for rows.Next() {
		var m mat
		if err := rows.Scan(&m.id, &m.appID, &m.sum, &m.key); err != nil {
			rows.Close()
			return nil, err
		}
		mats = append(mats, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range mats {
		seen[m.id] = true
		if ack, ok := ackedMaterials[m.id]; ok && (ack.appID != m.appID || ack.sha256 != m.sum) {
			fail("material %s: recorded for %s with SHA-256 %s, acknowledged for %s with %s", m.id, m.appID, m.sum, ack.appID, ack.sha256)
		}
		got, err := blobHash(ctx, blobs, m.key)
		if err != nil {
			fail("material %s of application %s: file %s: %v", m.id, m.appID, m.key, err)
		} else if got != m.sum {
			fail("material %s of application %s: file %s has SHA-256 %s, recorded %s", m.id, m.appID, m.key, got, m.sum)
		}
	}
	for id, ack := range ackedMaterials {
		// A draft may be discarded, taking its uploads; none is here.
		if !seen[id] {
			fail("acknowledged upload %s to application %s is missing", id, ack.appID)
		}
	}
	return bad, nil
}

// blobHash reads a stored file and returns its SHA-256.
func blobHash(ctx context.Context, blobs blob.Store, key string) (string, error) {
	rc, err := blobs.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// summary says what a store holds, for the test log.
func summary(ctx context.Context, d *db.DB) string {
	rows, err := d.Read().QueryContext(ctx, `SELECT state, COUNT(*) FROM applications GROUP BY state ORDER BY state`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return err.Error()
		}
		parts = append(parts, fmt.Sprintf("%s %d", state, n))
	}
	return strings.Join(parts, ", ")
}
