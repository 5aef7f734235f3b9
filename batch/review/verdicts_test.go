package review

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reviews.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadVerdicts(t *testing.T) {
	// As the page writes it (CRLF, quoted where needed), with a BOM, and
	// lines a person might write by hand.
	p := writeTemp(t, "\ufeffLead_ID, crm_id ,verdict,reviewer,reviewed_at\r\n"+
		"L1,0033t000000001AAAA,same_person,ann@acme.com,2026-12-03T09:30:00.123Z\r\n"+
		"\"L,2\",0033t000000002A,different_people,\"Ann \"\"A\"\" B\",2026-12-03 09:31:00\r\n"+
		"L3,0033t000000003AAAA,Same Person,,\r\n"+
		"L4,0033t000000004AAAA,different-people,bob,2026-12-03\r\n"+
		"L5,0033t000000005AAAA,maybe,bob,\r\n"+
		",0033t000000006AAAA,same,bob,\r\n"+
		"L7,,same,bob,\r\n"+
		"L8,0033t000000008AAAA,same,bob,yesterday\r\n"+
		"L9,0033t000000009AAAA,same,bob,2026-12-03,extra\r\n"+
		"\r\n"+
		"L10,0033t000000010AAAA,same\r\n")
	vs, probs, err := ReadVerdicts(p)
	if err != nil {
		t.Fatal(err)
	}
	type v struct{ lead, crm, verdict, reviewer string }
	var got []v
	for _, x := range vs {
		got = append(got, v{x.LeadID, x.CRMID, x.Verdict, x.Reviewer})
		if x.File != p {
			t.Errorf("file %q", x.File)
		}
	}
	want := []v{
		{"L1", "0033t000000001AAAA", VerdictSame, "ann@acme.com"},
		{"L,2", "0033t000000002AAA", VerdictDifferent, `Ann "A" B`}, // 15 characters made 18
		{"L3", "0033t000000003AAAA", VerdictSame, ""},
		{"L4", "0033t000000004AAAA", VerdictDifferent, "bob"},
		{"L10", "0033t000000010AAAA", VerdictSame, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("verdicts %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i].lead != want[i].lead || got[i].verdict != want[i].verdict || got[i].reviewer != want[i].reviewer ||
			(i != 1 && got[i].crm != want[i].crm) || len(got[i].crm) != 18 {
			t.Errorf("verdict %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if vs[0].Line != 2 || vs[4].Line != 12 {
		t.Errorf("lines %d, %d; want 2, 12", vs[0].Line, vs[4].Line)
	}
	if !vs[0].ReviewedAt.Equal(time.Date(2026, 12, 3, 9, 30, 0, 123000000, time.UTC)) || !vs[2].ReviewedAt.IsZero() {
		t.Errorf("times %v %v", vs[0].ReviewedAt, vs[2].ReviewedAt)
	}
	wantProbs := map[int]string{6: "verdict \"maybe\"", 7: "empty lead_id", 8: "empty crm_id", 9: "reviewed_at \"yesterday\"", 10: "6 fields"}
	if len(probs) != len(wantProbs) {
		t.Fatalf("problems %+v", probs)
	}
	for _, pr := range probs {
		if w, ok := wantProbs[pr.Line]; !ok || !strings.Contains(pr.Problem, w) || pr.File != p {
			t.Errorf("problem %+v, want line %d %q", pr, pr.Line, w)
		}
	}
}

func TestReadVerdictsBadFile(t *testing.T) {
	for name, content := range map[string]string{
		"empty":          "",
		"missing column": "lead_id,crm,verdict\nL1,003,same\n",
		"twice":          "lead_id,crm_id,verdict,verdict\n",
	} {
		_, _, err := ReadVerdicts(writeTemp(t, content))
		if !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: %v, want ErrBadFile", name, err)
		}
	}
	if _, _, err := ReadVerdicts(filepath.Join(t.TempDir(), "none.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A quote never closed is a problem of its line; the lines before count.
	vs, probs, err := ReadVerdicts(writeTemp(t, "lead_id,crm_id,verdict\nL1,003A,same\nL2,\"003B,same\n"))
	if err != nil || len(vs) != 1 || len(probs) != 1 || probs[0].Line != 3 {
		t.Errorf("unclosed quote: %+v %+v %v", vs, probs, err)
	}
}
