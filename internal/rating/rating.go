// Package rating owns the service rating (好差评) and the rectification
// loop (差评整改) of the national rules for government service ratings
// (国务院办公厅关于建立政务服务“好差评”制度 提高政务服务水平的意见,
// 国办发〔2019〕51号): after an application concludes or a hotline ticket
// closes, the person who applied or filed rates it once on the five
// national levels, with optional tags and text, and may amend the rating
// for a while. The two lowest levels open a rectification for the
// responsible department with a working-day deadline; the department
// answers what was wrong and what it did, and the citizen is called back
// (回访). Unanswered rectifications turn yellow and red for supervisors.
// The public figures (ratings by level, satisfaction rate, rectifications
// done on time, hotline tickets handled on time) are aggregated from these
// tables and the hotline's.
//
// Every change is one transaction that also stamps the ledger and queues
// its notices.
package rating

import (
	"time"
)

// Level is one of the five national rating levels.
type Level string

// The levels, best first.
const (
	VerySatisfied   Level = "very_satisfied"   // 非常满意
	Satisfied       Level = "satisfied"        // 满意
	Basic           Level = "basic"            // 基本满意
	Unsatisfied     Level = "unsatisfied"      // 不满意
	VeryUnsatisfied Level = "very_unsatisfied" // 非常不满意
)

// Levels lists every level, best first.
var Levels = []Level{VerySatisfied, Satisfied, Basic, Unsatisfied, VeryUnsatisfied}

// Valid reports whether l is a known level.
func (l Level) Valid() bool {
	for _, x := range Levels {
		if x == l {
			return true
		}
	}
	return false
}

// Bad reports whether l is one of the two lowest levels, which open a
// rectification (差评).
func (l Level) Bad() bool { return l == Unsatisfied || l == VeryUnsatisfied }

// Good reports whether l counts as satisfied in the satisfaction rate:
// 非常满意, 满意 or 基本满意.
func (l Level) Good() bool { return l == VerySatisfied || l == Satisfied || l == Basic }

// Tags are the fixed tags a rater may pick, per level: what went well
// for the two best levels, what should improve for the other three. Their
// text is the i18n message "rating_tag_CODE".
var Tags = map[Level][]string{
	VerySatisfied:   GoodTags,
	Satisfied:       GoodTags,
	Basic:           ImproveTags,
	Unsatisfied:     ImproveTags,
	VeryUnsatisfied: ImproveTags,
}

// GoodTags are what went well (非常满意, 满意).
var GoodTags = []string{"efficient", "courteous", "one_visit", "simple_process", "few_materials", "clear_guidance"}

// ImproveTags are what should improve (基本满意 and below).
var ImproveTags = []string{"repeated_visits", "inefficient", "rude", "repeated_materials", "overdue", "buck_passing", "guidance_unclear", "many_materials", "a_bit_slow", "system_trouble"}

// validTag reports whether tag may go with level l.
func validTag(l Level, tag string) bool {
	for _, t := range Tags[l] {
		if t == tag {
			return true
		}
	}
	return false
}

// ObjectType is what was rated.
type ObjectType string

// The rated objects.
const (
	ApplicationObject ObjectType = "application" // an application (办件), once concluded or refused
	TicketObject      ObjectType = "ticket"      // a hotline ticket (工单), once closed
)

// Valid reports whether t is a known object type.
func (t ObjectType) Valid() bool { return t == ApplicationObject || t == TicketObject }

// Channel is how a rating or a callback reached the platform.
type Channel string

// The channels. Phone is only for callbacks recorded by a supervisor.
const (
	Web   Channel = "web"
	API   Channel = "api"
	Phone Channel = "phone"
)

// MaxText is the longest rating or callback text, in characters.
const MaxText = 500

// MaxAnswer is the longest part of a department's answer, in characters.
const MaxAnswer = 2000

// Rating is one citizen's rating of one application or ticket.
type Rating struct {
	ID         string     `json:"id"`
	ObjectType ObjectType `json:"object_type"`
	ObjectID   string     `json:"object_id"`
	// ObjectNumber is the application's or ticket's tracking number.
	ObjectNumber   string `json:"object_number"`
	DepartmentCode string `json:"department_code"`
	// ServiceCode and ServiceName name the rated service; for tickets
	// ServiceCode is empty and ServiceName the ticket's category.
	ServiceCode string   `json:"service_code,omitempty"`
	ServiceName string   `json:"service_name"`
	Level       Level    `json:"level"`
	Tags        []string `json:"tags"`
	// Text is stored as written and always shown escaped.
	Text       string    `json:"text"`
	Channel    Channel   `json:"channel"`
	AmendCount int       `json:"amend_count"`
	AmendUntil time.Time `json:"amend_until"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// RectificationID is the rectification the rating opened, if any.
	RectificationID string `json:"rectification_id,omitempty"`
	// Mine is true when the viewer is the rater; the rater is never
	// shown to anyone else.
	Mine bool `json:"mine"`

	raterID string
}

// Amendable reports whether the rating may still be amended at now.
func (r *Rating) Amendable(now time.Time) bool { return now.Before(r.AmendUntil) }

// State is where a rectification stands.
type State string

// The states: the department owes an answer (open); it answered and the
// citizen is to be called back (answered); the callback is recorded
// (closed).
const (
	Open     State = "open"
	Answered State = "answered"
	Closed   State = "closed"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == Open || s == Answered || s == Closed }

// Warning marks an open rectification near (yellow) or past (red) its
// deadline.
type Warning string

// The warnings.
const (
	NoWarning Warning = ""
	Yellow    Warning = "yellow"
	Red       Warning = "red"
)

// Rectification is the work a bad rating gives the responsible
// department (整改), and the callback that follows its answer.
type Rectification struct {
	ID             string  `json:"id"`
	RatingID       string  `json:"rating_id"`
	DepartmentCode string  `json:"department_code"`
	State          State   `json:"state"`
	OpenedDate     string  `json:"opened_date"`
	DueDate        string  `json:"due_date"`
	Warning        Warning `json:"warning,omitempty"`
	// Cause is what was wrong; Action what the department did about it.
	Cause      string     `json:"cause,omitempty"`
	Action     string     `json:"action,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	// OnTime is whether the answer came by the due date.
	OnTime *bool `json:"on_time,omitempty"`
	// CallbackSatisfied is the citizen's verdict on the rectification.
	CallbackSatisfied *bool      `json:"callback_satisfied,omitempty"`
	CallbackComment   string     `json:"callback_comment,omitempty"`
	CallbackChannel   Channel    `json:"callback_channel,omitempty"`
	CallbackAt        *time.Time `json:"callback_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	Revision          int        `json:"revision"`

	// Rating is the rating that opened it.
	Rating *Rating `json:"rating"`
}

// Verdict is the outcome of a callback, as a list filter.
type Verdict string

// The verdicts.
const (
	CallbackSatisfied   Verdict = "satisfied"
	CallbackUnsatisfied Verdict = "unsatisfied"
)

// Input is a rating as the rater gives it.
type Input struct {
	ObjectType ObjectType `json:"object_type"`
	ObjectID   string     `json:"object_id"`
	Level      Level      `json:"level"`
	Tags       []string   `json:"tags"`
	Text       string     `json:"text"`
}

// Filter narrows a list of rectifications.
type Filter struct {
	State      State
	Warning    Warning
	Department string
	// Callback narrows to rectifications closed by a callback the citizen
	// was satisfied with (CallbackSatisfied) or not (CallbackUnsatisfied):
	// the unsatisfied ones are what supervisors review (复核).
	Callback Verdict
	// Limit caps the list; default and maximum 500.
	Limit int
}
