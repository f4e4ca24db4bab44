package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"sync"
	"time"
)

// applyService is the demo service the load applies for: 营业执照变更登记
// of SCJG, open to persons, no form, two required materials (m1, m3), and
// the process accept → decide → conclude. checkService verifies it.
const applyService = "SCJG-004"

// ledger records what the server acknowledged: a 2xx answer the client
// read in full. Whatever the server acknowledged must survive a crash.
type ledger struct {
	mu          sync.Mutex
	submissions map[string]submissionAck // by application ID
	decisions   map[string]decisionAck   // by task ID
	materials   map[string]materialAck   // by material ID
	unexpected  []string
}

type submissionAck struct {
	user, number string
}

type decisionAck struct {
	appID, action string
}

type materialAck struct {
	appID, sha256 string
}

func newLedger() *ledger {
	return &ledger{submissions: map[string]submissionAck{}, decisions: map[string]decisionAck{}, materials: map[string]materialAck{}}
}

func (l *ledger) counts() (submissions, decisions int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.submissions), len(l.decisions)
}

// odd records an answer the server should not have given, such as a 500:
// a bug whether or not the server is killed afterwards.
func (l *ledger) odd(who, what string, code int, body []byte) {
	if len(body) > 300 {
		body = body[:300]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unexpected = append(l.unexpected, fmt.Sprintf("%s: %s answered %d: %s", who, what, code, body))
}

// randomPNG is a small PNG image of random pixels, so every upload is a
// new file for the store to write (identical content is stored once).
func randomPNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(rand.IntN(256))
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// apply files applications as c until ctx ends or the server goes away.
func apply(ctx context.Context, c *client, l *ledger) {
	for ctx.Err() == nil {
		if _, gone := file(ctx, c, l); gone {
			return
		}
	}
}

// file makes one application as c: create a draft, upload both materials,
// submit. It returns the application's ID once the submission is
// acknowledged, and gone when the server stopped answering.
func file(ctx context.Context, c *client, l *ledger) (id string, gone bool) {
	code, body, err := c.postJSON(ctx, "/api/v1/applications", map[string]string{"service_code": applyService})
	if err != nil {
		return "", true
	}
	var draft struct {
		ID string `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &draft) != nil || draft.ID == "" {
		l.odd(c.user, "create draft", code, body)
		return "", false
	}
	for _, req := range []string{"m1", "m3"} {
		if !upload(ctx, c, l, draft.ID, req) {
			return "", true
		}
	}
	code, body, err = c.postJSON(ctx, "/api/v1/applications/"+draft.ID+"/submit", nil)
	if err != nil {
		return "", true
	}
	var filed struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		State  string `json:"state"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &filed) != nil || filed.ID != draft.ID || filed.Number == "" || filed.State != "submitted" {
		l.odd(c.user, "submit", code, body)
		return "", false
	}
	l.mu.Lock()
	l.submissions[filed.ID] = submissionAck{user: c.user, number: filed.Number}
	l.mu.Unlock()
	return filed.ID, false
}

// upload sends one material; false means the server is gone.
func upload(ctx context.Context, c *client, l *ledger, appID, requirement string) bool {
	content := randomPNG()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("requirement", requirement)
	fw, _ := mw.CreateFormFile("file", requirement+".png")
	fw.Write(content)
	mw.Close()
	code, resp, err := c.do(ctx, "POST", "/api/v1/applications/"+appID+"/materials", mw.FormDataContentType(), &body)
	if err != nil {
		return false
	}
	var m struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	}
	sum := sha256.Sum256(content)
	if code != http.StatusCreated || json.Unmarshal(resp, &m) != nil || m.ID == "" || m.SHA256 != hex.EncodeToString(sum[:]) {
		l.odd(c.user, "upload "+requirement, code, resp)
		return true
	}
	l.mu.Lock()
	l.materials[m.ID] = materialAck{appID: appID, sha256: m.SHA256}
	l.mu.Unlock()
	return true
}

// work takes the tasks in c's queue whose kind is in decisions and decides
// them, until ctx ends or the server goes away. Losing a race to a
// colleague (409) is expected; anything else but 200 is not.
func work(ctx context.Context, c *client, l *ledger, decisions map[string]map[string]string) {
	for ctx.Err() == nil {
		code, body, err := c.do(ctx, "GET", "/api/v1/tasks", "", nil)
		if err != nil {
			return
		}
		var queue struct {
			Items []struct {
				ID            string `json:"id"`
				ApplicationID string `json:"application_id"`
				Kind          string `json:"kind"`
			} `json:"items"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &queue) != nil {
			l.odd(c.user, "queue", code, body)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		rand.Shuffle(len(queue.Items), func(i, j int) { queue.Items[i], queue.Items[j] = queue.Items[j], queue.Items[i] })
		acted := false
		for _, t := range queue.Items {
			d, ok := decisions[t.Kind]
			if !ok {
				continue
			}
			code, body, err := c.postJSON(ctx, "/api/v1/tasks/"+t.ID+"/decision", d)
			if err != nil {
				return
			}
			switch code {
			case http.StatusOK:
				acted = true
				l.mu.Lock()
				l.decisions[t.ID] = decisionAck{appID: t.ApplicationID, action: d["action"]}
				l.mu.Unlock()
			case http.StatusConflict:
			default:
				l.odd(c.user, "decide "+d["action"], code, body)
			}
		}
		if !acted {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Staff decisions by step kind.
var (
	clerkDecisions    = map[string]map[string]string{"accept": {"action": "accept"}, "conclude": {"action": "conclude"}}
	approverDecisions = map[string]map[string]string{"decide": {"action": "approve", "opinion": "材料齐全，准予变更登记。"}}
)

// load signs in three citizens (two sessions each), the SCJG clerk (two
// sessions, so they race for the same tasks) and the approver, and runs
// them against base until ctx ends or the server goes away.
func load(ctx context.Context, base string, l *ledger) (wait func(), err error) {
	var clients []*client
	var roles []func(context.Context, *client, *ledger)
	add := func(user string, sessions int, fn func(context.Context, *client, *ledger)) error {
		for range sessions {
			c, err := login(ctx, base, user)
			if err != nil {
				return err
			}
			clients, roles = append(clients, c), append(roles, fn)
		}
		return nil
	}
	for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
		if err := add(u, 2, apply); err != nil {
			return nil, err
		}
	}
	if err := add("scjg-clerk", 2, func(ctx context.Context, c *client, l *ledger) { work(ctx, c, l, clerkDecisions) }); err != nil {
		return nil, err
	}
	if err := add("scjg-approver", 1, func(ctx context.Context, c *client, l *ledger) { work(ctx, c, l, approverDecisions) }); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { roles[i](ctx, c, l) })
	}
	return wg.Wait, nil
}
