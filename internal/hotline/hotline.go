// Package hotline owns the 12345 hotline: tickets (工单) that citizens file
// on the web, through the API, through an Open311 GeoReport v2 app, or by
// telephone through a dispatcher; the editable category tree; the rules
// that suggest a department; dispatch (派单), signing (签收) and returns
// (退单); replies, callbacks (回访) and reopening; urging (督办); the
// working-day deadlines per ticket kind and their yellow and red warnings;
// duplicate suggestions and merging; and the protected identity of
// anonymous and name-protected reporters, which only a supervisor with
// [identity.PermHotlineReveal] can reveal, each reveal recorded.
//
// Every state change is one database transaction that also appends to the
// ticket's action log and queues the notices it causes (package notify).
package hotline

import (
	"encoding/json"
	"time"
)

// Kind is what a ticket asks for.
type Kind string

// The kinds of ticket.
const (
	Complaint  Kind = "complaint"  // 投诉
	Report     Kind = "report"     // 举报
	Inquiry    Kind = "inquiry"    // 咨询
	Suggestion Kind = "suggestion" // 建议
	Help       Kind = "help"       // 求助
	Praise     Kind = "praise"     // 表扬
)

// Kinds lists every kind, in display order.
var Kinds = []Kind{Complaint, Report, Inquiry, Suggestion, Help, Praise}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// DefaultDays is how many working days a department has to reply, per
// kind, unless a platform admin set another limit.
var DefaultDays = map[Kind]int{
	Inquiry:    1,
	Help:       3,
	Complaint:  5,
	Praise:     5,
	Report:     10,
	Suggestion: 10,
}

// State is where a ticket stands.
type State string

// The states. A filed ticket waits for a dispatcher; once dispatched it
// waits for the department to sign for it (or return it); the department
// handles and replies; the reporter's callback closes it or reopens it for
// the same department. A duplicate is merged into another ticket.
const (
	Dispatching State = "dispatching" // 待派单
	Dispatched  State = "dispatched"  // 已派单, waiting for the department to sign
	Handling    State = "handling"    // 办理中
	Replied     State = "replied"     // 已答复, waiting for the callback
	Closed      State = "closed"      // 已办结
	Merged      State = "merged"      // 已合并 into another ticket
)

// Open reports whether a ticket in state s still needs work.
func (s State) Open() bool { return s != Closed && s != Merged }

// Protection says who may know the reporter.
type Protection string

// The protections. Anonymous and name-protected reporters are hidden from
// everyone but themselves; a supervisor may reveal them with a reason.
const (
	Public    Protection = "none"
	Protected Protection = "protected" // 保密: the name is kept but hidden
	Anonymous Protection = "anonymous" // 匿名
)

// Valid reports whether p is a known protection.
func (p Protection) Valid() bool { return p == Public || p == Protected || p == Anonymous }

// Channel is how a ticket reached the hotline.
type Channel string

// The channels.
const (
	Web     Channel = "web"
	API     Channel = "api"
	Phone   Channel = "phone"
	Open311 Channel = "open311"
)

// Warning marks a ticket near (yellow) or past (red) its deadline.
type Warning string

// The warnings.
const (
	NoWarning Warning = ""
	Yellow    Warning = "yellow"
	Red       Warning = "red"
)

// Satisfaction is the reporter's verdict in the callback (回访).
type Satisfaction string

// The satisfaction levels of a callback. The five-level service rating
// (好差评) is a separate matter.
const (
	Satisfied   Satisfaction = "satisfied"
	Basic       Satisfaction = "basic"
	Unsatisfied Satisfaction = "unsatisfied"
)

// Valid reports whether s is a known level.
func (s Satisfaction) Valid() bool { return s == Satisfied || s == Basic || s == Unsatisfied }

// Category is a node of the category tree.
type Category struct {
	Code        string      `json:"code"`
	ParentCode  string      `json:"parent_code,omitempty"`
	Name        string      `json:"name"`
	NameEn      string      `json:"name_en,omitempty"`
	Description string      `json:"description,omitempty"`
	Position    int         `json:"position"`
	Active      bool        `json:"active"`
	Attributes  []Attribute `json:"attributes"`
	// Depth is the node's depth in the tree (0 for roots), for display.
	Depth int `json:"-"`
}

// Attribute is a question asked of tickets in a category, as an Open311
// service definition describes it.
type Attribute struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Datatype is string, number, text or singlevaluelist.
	Datatype string      `json:"datatype"`
	Required bool        `json:"required"`
	Values   []AttrValue `json:"values,omitempty"`
}

// AttrValue is one choice of a singlevaluelist attribute.
type AttrValue struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// Rule suggests the department for tickets of a category; in one division,
// or everywhere when DivisionCode is empty. A rule on a parent category
// covers its children.
type Rule struct {
	ID             string `json:"id"`
	CategoryCode   string `json:"category_code"`
	DivisionCode   string `json:"division_code,omitempty"`
	DepartmentCode string `json:"department_code"`
}

// Ticket is one request to the hotline (工单).
type Ticket struct {
	ID           string     `json:"id"`
	Number       string     `json:"number"`
	Kind         Kind       `json:"kind"`
	CategoryCode string     `json:"category_code"`
	CategoryName string     `json:"category_name"`
	Text         string     `json:"text"`
	Address      string     `json:"address,omitempty"`
	DivisionCode string     `json:"division_code,omitempty"`
	Lat          *float64   `json:"lat,omitempty"`
	Lon          *float64   `json:"lon,omitempty"`
	Channel      Channel    `json:"channel"`
	Protection   Protection `json:"protection"`
	// The reporter's contact details; empty for viewers who may not know
	// them, in which case IdentityHidden is true.
	ReporterName   string            `json:"reporter_name,omitempty"`
	ReporterPhone  string            `json:"reporter_phone,omitempty"`
	ReporterEmail  string            `json:"reporter_email,omitempty"`
	IdentityHidden bool              `json:"identity_hidden"`
	Attributes     map[string]string `json:"attributes,omitempty"`
	MediaURL       string            `json:"media_url,omitempty"`
	State          State             `json:"state"`
	// SuggestedDepartment is what the dispatch rules propose.
	SuggestedDepartment string `json:"suggested_department,omitempty"`
	DepartmentCode      string `json:"department_code,omitempty"`
	// Days is the kind's limit in working days, counted from ClockDate
	// (the day of dispatch or of reopening).
	Days         int          `json:"days"`
	ClockDate    string       `json:"clock_date,omitempty"`
	DueDate      string       `json:"due_date,omitempty"`
	YellowDate   string       `json:"-"`
	Warning      Warning      `json:"warning,omitempty"`
	UrgeCount    int          `json:"urge_count"`
	Reply        string       `json:"reply,omitempty"`
	RepliedAt    *time.Time   `json:"replied_at,omitempty"`
	Solved       *bool        `json:"solved,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	ReopenCount  int          `json:"reopen_count"`
	MergedInto   string       `json:"merged_into,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	ClosedAt     *time.Time   `json:"closed_at,omitempty"`
	Revision     int          `json:"revision"`

	Attachments []Attachment `json:"attachments"`
	Events      []Event      `json:"events"`

	reporterID string
	filedBy    string
}

// Mine reports whether accountID filed t for themselves.
func (t *Ticket) Mine(accountID string) bool { return t.reporterID != "" && t.reporterID == accountID }

// HasReporterAccount reports whether the reporter has an account (and so
// can answer the callback themselves); phone and Open311 tickets are
// called back by a dispatcher.
func (t *Ticket) HasReporterAccount() bool { return t.reporterID != "" }

// Attachment is a file filed with a ticket.
type Attachment struct {
	ID          string    `json:"id"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
	blobKey     string
}

// Event is one entry of a ticket's action log. Events are never changed.
type Event struct {
	Seq            int       `json:"seq"`
	At             time.Time `json:"at"`
	ActorName      string    `json:"actor_name,omitempty"`
	DepartmentCode string    `json:"department_code,omitempty"`
	Action         string    `json:"action"`
	FromState      State     `json:"from_state,omitempty"`
	ToState        State     `json:"to_state,omitempty"`
	Note           string    `json:"note,omitempty"`

	actorID string
}

// Identity is a revealed reporter.
type Identity struct {
	Name     string `json:"name"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	Username string `json:"username,omitempty"`
}

// Match is a ticket that may be about the same thing as another.
type Match struct {
	Ticket *Ticket `json:"ticket"`
	// Score is the text similarity, 0 to 1.
	Score float64 `json:"score"`
	// Meters is the distance when both tickets have coordinates; -1
	// otherwise.
	Meters float64 `json:"meters"`
}

// APIKey is a key issued to an Open311 client app.
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// RateLimit is the app's own rate limit, "N/DURATION" as
	// ratelimit.ParseRate reads it; empty for the platform's default.
	RateLimit string `json:"rate_limit,omitempty"`
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
