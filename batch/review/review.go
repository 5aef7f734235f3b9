// Package review writes report.html, the review page of a run: one
// self-contained HTML file (inline CSS and script, charts drawn here as
// inline SVG, no network) that shows a person what a run decided and did,
// and lets them settle the possible matches by hand. The verdicts leave the
// page as reviews.csv (built by the page's script), which ReadVerdicts reads
// back for the next run.
//
// The page is built with html/template: every value from the inputs (names,
// emails, ids, file names, error messages) is escaped in its context, and
// nothing from the inputs is ever trusted as HTML, CSS or script. Its
// Content-Security-Policy allows only its own script (by hash) and no
// network at all, so even a value that escaped the escaping could neither
// run nor load anything.
package review

import (
	"bufio"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

// FileName is the page's name in a run folder or a match's --out.
const FileName = "report.html"

// DefaultMaxRows is how many review rows a page holds by default
// (reports.review_rows); the rest are counted and left to matches.parquet.
const DefaultMaxRows = 5000

// Input is everything a page shows. Results[i] is the decision for
// Leads[i] (matcher order); People, Accounts and Users are the snapshot, to
// show the CRM side of a pair and owners' names. Run-only parts (Actions,
// Quota, Reviews) may be empty.
type Input struct {
	Run Run

	AutoThreshold, ReviewThreshold float64
	// LeadPrior is the prior of a lead pair in bits (matcher.LeadPrior),
	// the start of each pair's waterfall.
	LeadPrior float64

	Leads     []matcher.Lead
	Results   []matcher.LeadResult
	Companies []matcher.CompanyResult
	Stats     matcher.Stats
	People    []matcher.Person
	Accounts  []matcher.Account
	Users     []input.User

	Files   []input.FileStat
	Rejects []input.Reject
	// Actions are a run's planned or attempted actions (nil for match).
	Actions iter.Seq[Action]
	Quota   []Quota
	Reviews *Reviews

	// MaxRows caps the review queue (0: DefaultMaxRows).
	MaxRows int
	// Settled are leads whose pairs a review settled: left out of the
	// queue.
	Settled map[string]bool
}

// Run describes the run or match the page is about.
type Run struct {
	Command     string // "run", "schedule", "demo" or "match"
	RunID       string
	Started     time.Time
	Ended       time.Time
	OrgID       string
	InstanceURL string
	APIVersion  string
	DryRun      bool
	Status      string
	Error       string
	Stages      []Stage
	// APICalls, for a run: calls sent as the integration user, the calls
	// the writes spent (or, Estimated, would spend), owners' calls, the
	// org's daily usage.
	APICalls *APICalls
	// Brake is the safety brake's reading in words ("" when not tripped).
	Brake string
}

// Stage is how long one stage took.
type Stage struct {
	Name    string
	Seconds float64
	Count   int64
}

// APICalls are a run's API calls.
type APICalls struct {
	Spent, WriteCalls, OwnerCalls int64
	Estimated                     bool
	OrgUsed, OrgMax               int
}

// Action is one planned or attempted action, as actions.parquet holds it.
type Action struct {
	LeadID, Kind, Status, Reason, Detail string
	Object, TargetID, OnBehalfOf         string
	ErrorCode, ErrorMessage              string
}

// Quota is one owner's contact quota and API budget (quota.parquet).
type Quota struct {
	UserID                     string
	Month, Day                 string
	Created, Reserved, Remains int
	APICalls, APIRemains       int
}

// Reviews is what reviewed pairs did in a run (run.json "reviews").
type Reviews struct {
	Files []string `json:"files,omitempty"`
	// Read is the verdict lines read from the files; Imported the pairs
	// they added to the state store or changed there; Stored the verdicts
	// the store holds now.
	Read     int `json:"verdicts_read"`
	Imported int `json:"imported"`
	Stored   int `json:"stored"`
	// Problems are verdict lines left out: unreadable, or naming a lead
	// or record this run does not have. The rest applied.
	Problems []VerdictProblem `json:"problems,omitempty"`
	// SettledSame: leads matched through a same_person verdict (reason
	// reviewed); SettledDifferent: different_people pairs of this run's
	// leads, kept out of their candidates.
	SettledSame      int `json:"settled_same"`
	SettledDifferent int `json:"settled_different"`
	// NotApplied are same_person verdicts this run did not act on: the
	// pair scores below the review threshold now.
	NotApplied []NotApplied `json:"not_applied,omitempty"`
	// Precision is what the reviewed pairs of this run's leads say of the
	// auto threshold.
	Precision Precision `json:"precision"`
}

// VerdictProblem is a line of a reviews file that was not applied.
type VerdictProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	LeadID  string `json:"lead_id,omitempty"`
	CRMID   string `json:"crm_id,omitempty"`
	Problem string `json:"problem"`
}

// NotApplied is a same_person verdict a run did not act on.
type NotApplied struct {
	LeadID      string  `json:"lead_id"`
	CRMID       string  `json:"crm_id"`
	Probability float64 `json:"probability"`
	Why         string  `json:"why"`
}

// Precision is the observed precision of the reviewed pairs at a threshold:
// of the reviewed pairs that score at or above it now, the share a person
// called the same person. Bands count the reviewed pairs by where they
// score now.
type Precision struct {
	Threshold float64 `json:"threshold"`
	Pairs     int     `json:"pairs_at_or_above"`
	Same      int     `json:"same_person"`
	Value     float64 `json:"precision"` // Same/Pairs; 0 without pairs
	Bands     []Band  `json:"bands,omitempty"`
}

// Band counts reviewed pairs scoring in [From, To).
type Band struct {
	Label     string `json:"label"`
	Same      int    `json:"same_person"`
	Different int    `json:"different_people"`
}

// WriteFile writes the page to path (mode 0644) and syncs it.
func WriteFile(path string, in *Input) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = Write(bw, in)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return nil
}
