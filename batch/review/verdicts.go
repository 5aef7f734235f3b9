package review

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// Verdicts of reviews.csv.
const (
	VerdictSame      = "same_person"
	VerdictDifferent = "different_people"
)

// Columns of reviews.csv, in the order the page writes them. lead_id,
// crm_id and verdict are required; reviewer and reviewed_at may be left out
// of a hand-written file.
var Columns = []string{"lead_id", "crm_id", "verdict", "reviewer", "reviewed_at"}

// ErrBadFile is wrapped by the error of a reviews file that cannot be used
// at all (unreadable, no header, a required column missing): nothing of it
// applies.
var ErrBadFile = errors.New("not a reviews file")

// Verdict is one line of a reviews file.
type Verdict struct {
	LeadID     string
	CRMID      string // 18 characters when it is a well-formed Salesforce id
	Verdict    string // VerdictSame or VerdictDifferent
	Reviewer   string
	ReviewedAt time.Time // zero when not given
	File       string
	Line       int
}

// ReadVerdicts reads a reviews file: UTF-8 CSV (a byte order mark is
// accepted) with a header naming the columns in any order. A line that
// cannot be used (a verdict other than same_person or different_people, an
// empty id, a bad time, a broken quote) is returned as a problem with its
// line, and the other lines still count. Verdicts are accepted in a few
// spellings: "same person", "same", "different", "different-people".
func ReadVerdicts(path string) ([]Verdict, []VerdictProblem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reviews file: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("reviews file %s: %w: empty (want the header %s)", path, ErrBadFile, strings.Join(Columns, ","))
		}
		return nil, nil, fmt.Errorf("reviews file %s: %w: header: %v", path, ErrBadFile, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return nil, nil, fmt.Errorf("reviews file %s: %w: column %q twice", path, ErrBadFile, h)
		}
		col[h] = i
	}
	for _, c := range Columns[:3] {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("reviews file %s: %w: missing column %q (want %s)", path, ErrBadFile, c, strings.Join(Columns, ","))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []Verdict
	var probs []VerdictProblem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs = append(probs, VerdictProblem{File: path, Line: pe.StartLine, Problem: clip(pe.Err.Error())})
				continue
			}
			return nil, nil, fmt.Errorf("reviews file %s: %w", path, err)
		}
		v := Verdict{LeadID: get(rec, "lead_id"), CRMID: strings.TrimSpace(get(rec, "crm_id")), Reviewer: strings.TrimSpace(get(rec, "reviewer")),
			File: path, Line: line}
		if id, err := sfid.To18(v.CRMID); err == nil {
			v.CRMID = id
		}
		problem := func(format string, a ...any) {
			probs = append(probs, VerdictProblem{File: path, Line: line, LeadID: clip(v.LeadID), CRMID: clip(v.CRMID), Problem: clip(fmt.Sprintf(format, a...))})
		}
		switch {
		case len(rec) > len(header):
			problem("%d fields, the header has %d", len(rec), len(header))
			continue
		case v.LeadID == "":
			problem("empty lead_id")
			continue
		case v.CRMID == "":
			problem("empty crm_id")
			continue
		}
		raw := get(rec, "verdict")
		if v.Verdict = verdictOf(raw); v.Verdict == "" {
			problem("verdict %q: want %s or %s", raw, VerdictSame, VerdictDifferent)
			continue
		}
		if s := strings.TrimSpace(get(rec, "reviewed_at")); s != "" {
			t, ok := parseTime(s)
			if !ok {
				problem("reviewed_at %q: want a time such as 2026-12-03T09:30:00Z", s)
				continue
			}
			v.ReviewedAt = t
		}
		out = append(out, v)
	}
	return out, probs, nil
}

func verdictOf(s string) string {
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch s {
	case VerdictSame, "same", "match", "same_people":
		return VerdictSame
	case VerdictDifferent, "different", "different_person", "no_match", "not_same":
		return VerdictDifferent
	}
	return ""
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Microsecond), true
		}
	}
	return time.Time{}, false
}
