// Package application owns applications (办件): an applicant's request for
// one published service, from draft to conclusion, with its materials, the
// tasks (待办) its process opens in each department, supplement requests
// (补正), the working-day clock and the append-only action log.
//
// The process itself (which steps, in which order, for which roles) is data
// owned by package workflow; this package runs it. Every state change is one
// database transaction that also appends the action to the log and queues
// the notices it causes, so no change is ever half made or unannounced.
package application

import (
	"encoding/json"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/workflow"
)

// State is where an application stands.
type State string

// The states. An application is a draft until submitted; after submission
// it waits for intake (受理), which accepts it, refuses it, or asks for a
// supplement; once accepted its process runs until a clerk concludes it.
const (
	Draft      State = "draft"      // being filled in by the applicant
	Submitted  State = "submitted"  // waiting for intake
	Accepted   State = "accepted"   // accepted and in process
	Supplement State = "supplement" // waiting for the applicant's supplement; the clock stops
	Refused    State = "refused"    // not accepted (不予受理)
	Withdrawn  State = "withdrawn"  // withdrawn by the applicant before acceptance
	Concluded  State = "concluded"  // finished (办结); Result says how
)

// Result is the outcome of a concluded application.
type Result string

// The results.
const (
	Approved Result = "approved" // 准予
	Denied   Result = "denied"   // 不予
)

// Application is one applicant's request for one service.
type Application struct {
	ID             string `json:"id"`
	Number         string `json:"number,omitempty"`
	ServiceCode    string `json:"service_code"`
	ServiceVersion int    `json:"service_version"`
	ServiceName    string `json:"service_name"`
	// ServiceNameEn is the service's English name as filed; empty when
	// the service had none, or the application is older than the field.
	ServiceNameEn  string          `json:"service_name_en,omitempty"`
	ProcessCode    string          `json:"process_code,omitempty"`
	ProcessVersion int             `json:"process_version,omitempty"`
	DepartmentCode string          `json:"department_code"`
	ApplicantID    string          `json:"-"`
	OrganizationID string          `json:"organization_id,omitempty"`
	ApplicantName  string          `json:"applicant_name"`
	State          State           `json:"state"`
	Result         Result          `json:"result,omitempty"`
	Form           json.RawMessage `json:"form"`
	StatutoryDays  int             `json:"statutory_days"`
	PromisedDays   int             `json:"promised_days"`
	// AcceptDate starts the statutory clock; the dues are empty while a
	// supplement request is open (the clock is stopped).
	AcceptDate      string     `json:"accept_date,omitempty"`
	StatutoryDue    string     `json:"statutory_due,omitempty"`
	PromisedDue     string     `json:"promised_due,omitempty"`
	SupplementCount int        `json:"supplement_count"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	SubmittedAt     *time.Time `json:"submitted_at,omitempty"`
	ConcludedAt     *time.Time `json:"concluded_at,omitempty"`
	Revision        int        `json:"revision"`

	Materials []Material `json:"materials"`
	// Fulfilments are the materials taken from licenses or verified from
	// shared data, which the applicant need not upload (免提交).
	Fulfilments []Fulfilment        `json:"fulfilments"`
	Tasks       []Task              `json:"tasks"`
	Supplements []SupplementRequest `json:"supplements"`
	Events      []Event             `json:"events"`
	Letter      *Letter             `json:"letter,omitempty"`
}

// Open reports whether the application is still being processed.
func (a *Application) Open() bool {
	switch a.State {
	case Submitted, Accepted, Supplement:
		return true
	}
	return false
}

// OpenSupplement returns the supplement request waiting for the applicant,
// if any.
func (a *Application) OpenSupplement() *SupplementRequest {
	for i := range a.Supplements {
		if a.Supplements[i].AnsweredAt == nil {
			return &a.Supplements[i]
		}
	}
	return nil
}

// Material is one uploaded file, filed against a material requirement of
// the service's guide.
type Material struct {
	ID              string    `json:"id"`
	RequirementCode string    `json:"requirement_code"`
	FileName        string    `json:"file_name"`
	ContentType     string    `json:"content_type"`
	Size            int64     `json:"size"`
	SHA256          string    `json:"sha256"`
	SupplementID    string    `json:"supplement_id,omitempty"`
	UploadedAt      time.Time `json:"uploaded_at"`
	// Replaced is true when a later upload for a supplement request took
	// its place.
	Replaced bool   `json:"replaced"`
	blobKey  string `json:"-"`
}

// TaskState is where a task stands.
type TaskState string

// The task states.
const (
	TaskOpen      TaskState = "open"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

// Warning marks a task near (yellow) or past (red) its deadline.
type Warning string

// The warnings.
const (
	NoWarning Warning = ""
	Yellow    Warning = "yellow"
	Red       Warning = "red"
)

// Task is one step of an application's process, open in one department for
// one role (待办).
type Task struct {
	ID             string            `json:"id"`
	ApplicationID  string            `json:"application_id"`
	StepID         string            `json:"step_id"`
	StepName       string            `json:"step_name"`
	StepNameEn     string            `json:"step_name_en,omitempty"`
	Kind           workflow.StepKind `json:"kind"`
	DepartmentCode string            `json:"department_code"`
	Role           string            `json:"role"`
	State          TaskState         `json:"state"`
	Outcome        string            `json:"outcome,omitempty"`
	AssigneeID     string            `json:"assignee_id,omitempty"`
	AssigneeName   string            `json:"assignee_name,omitempty"`
	Signers        int               `json:"signers"`
	Signatures     []Signature       `json:"signatures,omitempty"`
	Days           int               `json:"days"`
	OpenedAt       time.Time         `json:"opened_at"`
	OpenedDate     string            `json:"opened_date"`
	// DueDate is empty while the clock is stopped for a supplement.
	DueDate    string     `json:"due_date,omitempty"`
	YellowDate string     `json:"-"`
	Warning    Warning    `json:"warning,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	Superseded bool       `json:"superseded,omitempty"`
	Revision   int        `json:"revision"`

	// Filled in for work-queue listings. ServiceCode and ServiceVersion
	// are the service version the application is filed under, whose
	// catalog entry has the service's name in English.
	Number         string `json:"number,omitempty"`
	ServiceName    string `json:"service_name,omitempty"`
	ServiceCode    string `json:"service_code,omitempty"`
	ServiceVersion int    `json:"service_version,omitempty"`
	ApplicantName  string `json:"applicant_name,omitempty"`
}

// Signature is one person's sign-off on a countersigned task (会签).
type Signature struct {
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	Outcome   string    `json:"outcome"`
	Opinion   string    `json:"opinion"`
	SignedAt  time.Time `json:"signed_at"`
}

// SupplementItem is one thing the applicant must supply or correct: a
// material (by requirement code) or a form field.
type SupplementItem struct {
	Material string `json:"material,omitempty"`
	Field    string `json:"field,omitempty"`
	Reason   string `json:"reason"`
}

// SupplementRequest is a request for missing or corrected material (补正).
// Under the tell-once rule (一次告知) it lists everything at once; a second
// request on the same application needs a reason, which supervisors see.
type SupplementRequest struct {
	ID            string           `json:"id"`
	Seq           int              `json:"seq"`
	TaskID        string           `json:"task_id"`
	Items         []SupplementItem `json:"items"`
	RepeatReason  string           `json:"repeat_reason,omitempty"`
	RequestedAt   time.Time        `json:"requested_at"`
	RequestedDate string           `json:"requested_date"`
	AnsweredAt    *time.Time       `json:"answered_at,omitempty"`
	AnsweredDate  string           `json:"answered_date,omitempty"`
	Note          string           `json:"note,omitempty"`
}

// Pause is the stretch the supplement request stopped the clock for.
func (r SupplementRequest) Pause() calendar.Pause {
	p := calendar.Pause{}
	p.From, _ = calendar.ParseDate(r.RequestedDate)
	if r.AnsweredDate != "" {
		p.To, _ = calendar.ParseDate(r.AnsweredDate)
	}
	return p
}

// Event is one entry of an application's action log: who did what, when,
// from which state to which. Events are never changed.
type Event struct {
	Seq            int             `json:"seq"`
	At             time.Time       `json:"at"`
	ActorID        string          `json:"-"`
	ActorName      string          `json:"actor_name,omitempty"`
	ActorRole      string          `json:"actor_role,omitempty"`
	DepartmentCode string          `json:"department_code,omitempty"`
	Action         string          `json:"action"`
	FromState      string          `json:"from_state,omitempty"`
	ToState        string          `json:"to_state,omitempty"`
	StepID         string          `json:"step_id,omitempty"`
	TaskID         string          `json:"task_id,omitempty"`
	Opinion        string          `json:"opinion,omitempty"`
	Detail         json.RawMessage `json:"detail,omitempty"`
}

// Letter is the decision letter (决定书) issued at conclusion.
type Letter struct {
	Number    string     `json:"number"`
	Body      LetterBody `json:"body"`
	SHA256    string     `json:"sha256"`
	CreatedAt time.Time  `json:"created_at"`
}

// LetterKind tells a decision letter (决定书, at conclusion) from a
// refusal notice (不予受理通知书, when an application is not accepted).
type LetterKind string

// The kinds of letter; letters from before kinds were recorded have none
// and are decision letters.
const (
	DecisionLetter LetterKind = ""
	RefusalNotice  LetterKind = "refusal_notice"
)

// LetterBody is what a decision letter or refusal notice says.
type LetterBody struct {
	Kind              LetterKind `json:"kind,omitempty"`
	ApplicationNumber string     `json:"application_number"`
	ServiceCode       string     `json:"service_code"`
	ServiceName       string     `json:"service_name"`
	// ServiceKind is the service's legal category: a licensing service's
	// letter is a decision on an administrative license (行政许可决定书),
	// any other's a decision on the matter applied for. Letters issued
	// before it was recorded have none and were licensing letters.
	ServiceKind    catalog.Kind `json:"service_kind,omitempty"`
	ApplicantName  string       `json:"applicant_name"`
	DepartmentCode string       `json:"department_code"`
	DepartmentName string       `json:"department_name"`
	Result         Result       `json:"result"`
	Reasons        []string     `json:"reasons,omitempty"`
	LegalBasis     []string     `json:"legal_basis,omitempty"`
	Date           string       `json:"date"`
}

// Licensing reports whether the letter decides on an administrative
// license.
func (b LetterBody) Licensing() bool {
	return b.ServiceKind == "" || b.ServiceKind == catalog.Licensing
}
