package input

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrSchema marks an input that cannot be read at all: a missing required
// column, a duplicated header, an empty file, a Parquet file of the wrong
// shape. Nothing should be written after it; navsync maps it to exit code 5.
var ErrSchema = errors.New("unusable input")

// Reject reasons (the reason column of rejects.parquet).
const (
	ReasonColumnCount    = "wrong_column_count"
	ReasonInvalidUTF8    = "invalid_utf8"
	ReasonMalformedQuote = "malformed_quotes"
	ReasonTooLong        = "record_too_long"
	ReasonEmptyID        = "empty_lead_id"
	ReasonDuplicateID    = "duplicate_lead_id"
	ReasonEmptyRecordID  = "empty_id"
	ReasonDuplicateRecID = "duplicate_id"
	ReasonInvalidID      = "invalid_lead_id" // lead_id holds a control character
	ReasonInvalidRecID   = "invalid_id"      // account_id or a Salesforce Id holds a control character
	// ReasonInvalidValue reports one value left out of a row that was kept
	// (a value of the wrong type in an optional column); it is not a
	// rejected row.
	ReasonInvalidValue = "invalid_value"
)

// Reject is one input row left out of the run, with where it was and why.
type Reject struct {
	File   string // the path as given
	Line   int    // CSV: physical line of the record start, header = 1; Parquet: 1-based row number
	LeadID string // the row's id (lead_id, account_id or Salesforce Id) when readable
	Reason string // one of the Reason constants
	Detail string // human detail, e.g. "17 fields, header has 15" or "first at leads.csv line 12"
	Raw    string // the original record, valid UTF-8, at most MaxRawBytes
}

// MaxRawBytes bounds Reject.Raw.
const MaxRawBytes = 1024

// rawText makes a report-safe copy of a raw record: invalid UTF-8 replaced,
// cut at MaxRawBytes on a rune boundary (after the replacement, which can
// make it longer: each run of bad bytes becomes a 3-byte U+FFFD).
func rawText(b []byte) string {
	b = cutRunes(b)
	if utf8.Valid(b) {
		return string(b)
	}
	return string(cutRunes([]byte(strings.ToValidUTF8(string(b), "\uFFFD"))))
}

// cutRunes cuts b to at most MaxRawBytes, at a rune start.
func cutRunes(b []byte) []byte {
	if len(b) <= MaxRawBytes {
		return b
	}
	cut := MaxRawBytes
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return b[:cut]
}
