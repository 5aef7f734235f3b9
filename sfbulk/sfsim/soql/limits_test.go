package soql_test

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// The simulator's bound on nested conditions (parentheses and NOT), and
// the error past it.
const (
	maxNesting         = 1000 // soql.MaxNesting, as readme-sim.md states it
	codeTooComplicated = soql.CodeQueryTooComplicated
)

// nested is a WHERE clause inside n pairs of parentheses.
func nested(n int) string {
	return "SELECT Id FROM Contact WHERE " + strings.Repeat("(", n) + "LastName = 'x'" + strings.Repeat(")", n)
}

// TestParseTooLong: a statement over Salesforce's 100,000 characters is
// refused with its error before it is lexed, however it nests (a million
// parentheses ended the simulator with a stack overflow).
func TestParseTooLong(t *testing.T) {
	for name, src := range map[string]string{
		"1,000,000 parentheses": nested(1_000_000),
		"flat, 100,001 chars":   "SELECT Id FROM Contact WHERE LastName = '" + strings.Repeat("a", 100_001-len("SELECT Id FROM Contact WHERE LastName = ''")) + "'",
		"100,001 runes":         "SELECT Id FROM Contact WHERE LastName = '" + strings.Repeat("é", 100_001-len("SELECT Id FROM Contact WHERE LastName = ''")) + "'",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := soql.Parse(src)
			var se *soql.Error
			if !errors.As(err, &se) || se.Code != soql.CodeMalformedQuery || se.Detail != "SOQL statements cannot be longer than 100000 characters" || se.Row != 0 {
				t.Fatalf("Parse: %v, want MALFORMED_QUERY SOQL statements cannot be longer than 100000 characters", err)
			}
			if se.Message != se.Detail {
				t.Errorf("message %q, want the detail alone", se.Message)
			}
		})
	}
	// Exactly 100,000 characters (multi-byte ones count once) parses.
	src := "SELECT Id FROM Contact WHERE LastName = '" + strings.Repeat("é", 100_000-len("SELECT Id FROM Contact WHERE LastName = ''")) + "'"
	if _, err := soql.Parse(src); err != nil {
		t.Fatalf("100,000 characters: %v", err)
	}
}

// TestParseDeepNesting: nesting that fits in 100,000 characters is refused
// at a fixed depth, with little stack and heap, and nesting up to that
// depth parses.
func TestParseDeepNesting(t *testing.T) {
	// Before the depth bound 49,000 levels took tens of MB of stack: with a
	// 4 MB stack cap they end the test binary.
	defer debug.SetMaxStack(debug.SetMaxStack(4 << 20))
	const where = len("SELECT Id FROM Contact WHERE ")
	for _, tt := range []struct {
		name, src string
		column    int // of the condition one level too deep
	}{
		{"49,000 parentheses", nested(49_000), where + maxNesting + 1},
		{"24,000 NOTs", "SELECT Id FROM Contact WHERE " + strings.Repeat("NOT ", 24_000) + "LastName = 'x'", where + 4*maxNesting + 1},
		{"16,000 NOT (", "SELECT Id FROM Contact WHERE " + strings.Repeat("NOT (", 16_000) + "LastName = 'x'" + strings.Repeat(")", 16_000), where + 5*maxNesting/2 + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > 100_000 {
				t.Fatalf("test query is %d characters", len(tt.src))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := soql.Parse(tt.src)
			runtime.ReadMemStats(&after)
			var se *soql.Error
			if !errors.As(err, &se) || se.Code != codeTooComplicated || se.Row != 1 || se.Column != tt.column {
				t.Fatalf("Parse: %.300v, want QUERY_TOO_COMPLICATED at row 1 column %d", err, tt.column)
			}
			if want := "Query is too complicated: conditions nested more than 1000 levels deep"; se.Detail != want {
				t.Errorf("detail %q, want %q", se.Detail, want)
			}
			if len(se.Message) > 1000 {
				t.Errorf("message is %d bytes long, want the row windowed", len(se.Message))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("Parse allocated %d MB, want at most 32 (the tokens of 100,000 characters)", alloc>>20)
			}
		})
	}
	for _, src := range []string{nested(maxNesting), "SELECT Id FROM Contact WHERE " + strings.Repeat("NOT ", maxNesting) + "LastName = 'x'"} {
		q, err := soql.Parse(src)
		if err != nil {
			t.Fatalf("nesting %d: %v", maxNesting, err)
		}
		if err := q.ResolveAt(newTestSchema(), evalNow); err != nil {
			t.Fatal(err)
		}
		for _, r := range evalWorld() {
			q.Match(r)
		}
	}
	_, err := soql.Parse(nested(maxNesting + 1))
	var se *soql.Error
	if !errors.As(err, &se) || se.Code != codeTooComplicated {
		t.Fatalf("nesting %d: %v, want QUERY_TOO_COMPLICATED", maxNesting+1, err)
	}
}
