package input

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestOverlongQuotedField: a quoted field past the record cap (4 MiB) is
// skipped to its real end as one reject; the text inside it never becomes
// rows (issue 9, defect 5: a cell of 300,000 lines of "FAKEn,Evil,Person"
// gave 112,807 phantom leads). The rows after it keep their lines. A quote
// never closed swallows the rest of the file, as one reject, whatever its
// size.
func TestOverlongQuotedField(t *testing.T) {
	const fake = 300000
	var cell strings.Builder
	for i := range fake {
		fmt.Fprintf(&cell, "FAKE%d,Evil,Person\n", i)
	}
	for _, tc := range []struct {
		name   string
		closed bool
		crlf   bool
	}{{"closed", true, false}, {"closed CRLF", true, true}, {"never closed", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			body := "lead_id,first_name,last_name\nL1,Ann,Lee\nL2,Bob,\"start\n" + cell.String()
			if tc.closed {
				body += "end\"\nL3,Cy,Dee\n"
			}
			if tc.crlf {
				body = strings.ReplaceAll(body, "\n", "\r\n")
			}
			path := filepath.Join(t.TempDir(), "leads.csv")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadLeads(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, l := range got.Leads {
				ids = append(ids, l.LeadID)
			}
			want := []string{"L1", "L3"}
			if !tc.closed {
				want = want[:1]
			}
			if !reflect.DeepEqual(ids, want) {
				t.Fatalf("kept %d leads (%.60q…), want %q", len(ids), ids, want)
			}
			if len(got.Rejects) != 1 {
				t.Fatalf("%d rejects, want 1: %.300v", len(got.Rejects), got.Rejects)
			}
			r := got.Rejects[0]
			last := 3 + fake + 1 // the line of end"
			wantReason, wantDetail := ReasonTooLong, fmt.Sprintf("lines 3–%d", last)
			if !tc.closed {
				last = 3 + fake
				wantReason, wantDetail = ReasonMalformedQuote, fmt.Sprintf("never closed: it runs to the end of the file (lines 3–%d)", last)
			}
			if r.Line != 3 || r.Reason != wantReason || !strings.Contains(r.Detail, wantDetail) || !strings.HasPrefix(r.Raw, "L2,Bob,\"start\nFAKE0,Evil,Person\n") || len(r.Raw) > MaxRawBytes {
				t.Errorf("reject line %d, reason %s, detail %q, raw %.40q (%d bytes)", r.Line, r.Reason, r.Detail, r.Raw, len(r.Raw))
			}
			if st := got.Files[0]; st.Rows != len(want) || st.Rejected != 1 {
				t.Errorf("file stat %+v", st)
			}
		})
	}
}
