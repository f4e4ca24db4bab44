// Package consultation owns consultations on draft policies (征求意见,
// 决策前协商): a department drafts a policy in numbered sections with a
// summary and a comment period, and publishes it, after which its text is
// frozen; signed-in citizens and organization agents comment on the whole
// draft, on a section or on a quoted passage of a section while the period
// is open; the department moderates comments against the platform's
// published comment policy (a hidden comment keeps its place with the
// reason, and every moderation is recorded); after the period closes the
// department groups comments on the same point, answers each comment or
// group (adopted, partly adopted, not adopted, with the reason) and
// publishes the adoption report, which is then frozen. Statistics and the
// comments (masked names, hidden ones without their text) are public.
//
// Publishing, moderation and the adoption report are stamped into the
// ledger (object type [LedgerObject]) in the transaction that makes them.
package consultation

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LedgerObject is the ledger object type of consultations.
const LedgerObject = "consultation"

// PolicyVersion is the version of the comment policy (意见发布规则) in
// force; a consultation records the version it was published under. The
// policy's text is published with the platform's messages (key
// consultation_policy_*), and each hide reason quotes one of its rules.
const PolicyVersion = "2026-1"

// The limits on what people write.
const (
	MaxCommentRunes = 2000
	MaxPassageRunes = 500
	MaxSections     = 100
	// MaxCommentsPerDay bounds one person's comments on one
	// consultation in any 24 hours, against floods.
	MaxCommentsPerDay = 20
)

// State is whether a consultation is still a draft.
type State string

// The states. A published consultation is frozen: a correction is a new
// consultation.
const (
	Draft     State = "draft"
	Published State = "published"
)

// Phase is where a consultation stands today.
type Phase string

// The phases. A published consultation is upcoming before its period,
// open during it, closed after it until the adoption report is published,
// and reported after that.
const (
	PhaseDraft Phase = "draft"
	Upcoming   Phase = "upcoming"
	Open       Phase = "open"
	Closed     Phase = "closed"
	Reported   Phase = "reported"
)

// Verdict is the department's answer to a comment or a group.
type Verdict string

// The verdicts of the adoption report (采纳情况).
const (
	Adopted    Verdict = "adopted"     // 采纳
	Partly     Verdict = "partly"      // 部分采纳
	NotAdopted Verdict = "not_adopted" // 不予采纳
)

// Verdicts lists the verdicts in display order.
var Verdicts = []Verdict{Adopted, Partly, NotAdopted}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool { return v == Adopted || v == Partly || v == NotAdopted }

// HideReasons are the reasons a comment may be hidden for, one per rule of
// the comment policy.
var HideReasons = []string{"off_topic", "abusive", "personal_data", "advertising", "illegal", "duplicate"}

func validReason(r string) bool {
	for _, x := range HideReasons {
		if x == r {
			return true
		}
	}
	return false
}

// Section is one numbered part of the draft's text.
type Section struct {
	Number  int    `json:"number"`
	Heading string `json:"heading"`
	Body    string `json:"body"`
}

// Consultation is a draft policy put out for comment.
type Consultation struct {
	ID         string `json:"id"`
	Department string `json:"department_code"`
	Title      string `json:"title"`
	Summary    string `json:"summary"`
	// OpensOn and ClosesOn are the first and last day of the comment
	// period (inclusive), civil dates in the platform time zone.
	OpensOn       string     `json:"opens_on"`
	ClosesOn      string     `json:"closes_on"`
	State         State      `json:"state"`
	Phase         Phase      `json:"phase"`
	PolicyVersion string     `json:"policy_version,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
	// ReportSummary and ReportPublishedAt are the adoption report's
	// overview; the answers are on the comments and groups.
	ReportSummary     string     `json:"report_summary,omitempty"`
	ReportPublishedAt *time.Time `json:"report_published_at,omitempty"`
	Revision          int        `json:"revision"`
	Sections          []Section  `json:"sections"`
	// Groups are shown once the report is published, and to the
	// department before.
	Groups []Group `json:"groups"`
}

// Section returns the section numbered n, or nil.
func (c *Consultation) Section(n int) *Section {
	for i := range c.Sections {
		if c.Sections[i].Number == n {
			return &c.Sections[i]
		}
	}
	return nil
}

// Input is a draft as its department writes it. Sections are numbered in
// order from 1.
type Input struct {
	Department string         `json:"department_code"`
	Title      string         `json:"title"`
	Summary    string         `json:"summary"`
	OpensOn    string         `json:"opens_on"`
	ClosesOn   string         `json:"closes_on"`
	Sections   []SectionInput `json:"sections"`
}

// SectionInput is one section of an Input.
type SectionInput struct {
	Heading string `json:"heading"`
	Body    string `json:"body"`
}

// Comment is one comment (意见), as the viewer may see it: a hidden
// comment's text is empty except for its author and the department.
type Comment struct {
	ID string `json:"id"`
	// Section is 0 for the whole draft.
	Section int    `json:"section"`
	Passage string `json:"passage,omitempty"`
	Text    string `json:"text"`
	// Author is the commenter's masked display name (张*).
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	Hidden    bool      `json:"hidden"`
	// HideReason is one of HideReasons; HideNote, the moderator's
	// free text, is shown to the author and the department only.
	HideReason string `json:"hide_reason,omitempty"`
	HideNote   string `json:"hide_note,omitempty"`
	GroupID    string `json:"group_id,omitempty"`
	// Answer is the verdict on the comment, or its group's; public once
	// the report is published.
	Answer       Verdict `json:"answer,omitempty"`
	AnswerReason string  `json:"answer_reason,omitempty"`
	// Mine is true for the viewer's own comments.
	Mine bool `json:"mine"`
	// TextShown is false when the viewer may not read a hidden text.
	TextShown bool `json:"-"`

	authorID string
	answer   Verdict
	reason   string
}

// CommentInput is a new comment.
type CommentInput struct {
	Section int    `json:"section"`
	Passage string `json:"passage"`
	Text    string `json:"text"`
}

// Group collects comments on the same point, answered once.
type Group struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Answer       Verdict  `json:"answer,omitempty"`
	AnswerReason string   `json:"answer_reason,omitempty"`
	Comments     []string `json:"comments"`
}

// Moderation is one recorded moderation action.
type Moderation struct {
	ID        string    `json:"id"`
	CommentID string    `json:"comment_id"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note,omitempty"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// Stats are a consultation's public statistics.
type Stats struct {
	Comments   int            `json:"comments"`
	Commenters int            `json:"commenters"`
	Hidden     int            `json:"hidden"`
	BySection  []SectionCount `json:"by_section"`
	// The verdicts, counted per comment (a group's verdict counts for
	// each of its comments); zero until the report is published.
	Adopted    int `json:"adopted"`
	Partly     int `json:"partly_adopted"`
	NotAdopted int `json:"not_adopted"`
	// AdoptionRate is (adopted + partly adopted) / answered comments, in
	// percent with one decimal; nil before the report.
	AdoptionRate *float64 `json:"adoption_rate"`
}

// SectionCount is how many comments a section drew; section 0 is the
// whole draft.
type SectionCount struct {
	Section  int `json:"section"`
	Comments int `json:"comments"`
}

// DepartmentFigures are one department's consultations, all time, for the
// public figures: published consultations, those whose comment period has
// ended, their comments, and the verdicts of published adoption reports
// (counted per comment).
type DepartmentFigures struct {
	Department                                                          string
	Consultations, Closed, Comments, Adopted, PartlyAdopted, NotAdopted int
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// squeeze drops all white space, so a passage selected in a browser
// (where line breaks may differ) is compared with the section's text on
// its characters alone.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// PassageIn reports whether passage occurs in body, ignoring white space.
func PassageIn(passage, body string) bool {
	p := squeeze(passage)
	return p != "" && strings.Contains(squeeze(body), p)
}

// CSVCell guards a cell of an exported spreadsheet against formula
// injection: a value starting with = + - @ (or a tab or carriage return,
// which some programs skip before such a character) is prefixed with an
// apostrophe, so spreadsheet programs show it as text.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
