package sfbulk

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseAll(t testing.TB, data string, delim byte) ([][]string, error) {
	t.Helper()
	p := NewRowParser(data, delim)
	var out [][]string
	for {
		row, err := p.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append([]string(nil), row...))
	}
}

func TestRowParserGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/page_lf.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseAll(t, string(b), ',')
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Id", "FirstName", "Email", "HasOptedOutOfEmail", "Account.Name", "CreatedDate"},
		{"003xx000004TmiQAAS", "Ann", "ann@x.com", "false", "Acme", "2024-03-01T10:05:00.000Z"},
		{"003xx000004TmiRAAS", "Bob", "", "true", "", ""},
		{"003xx000004TmiSAAS", `O"Brien`, "ob@x.com", "false", "Line1\nLine2, \"quoted\"", "2024-03-02T10:05:00.000Z"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if !completeCSV(b) || completeCSV(b[:len(b)-20]) {
		t.Fatal("completeCSV misjudges a whole or truncated page")
	}
}

func TestRowParserCases(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		delim byte
		want  [][]string
		err   bool
	}{
		{"crlf", "\"a\",\"b\"\r\n\"1\",\"2\"\r\n", ',', [][]string{{"a", "b"}, {"1", "2"}}, false},
		{"cr kept inside quotes", "\"a\r\nb\",\"c\"\n", ',', [][]string{{"a\r\nb", "c"}}, false},
		{"no final newline", `"a","b"`, ',', [][]string{{"a", "b"}}, false},
		{"unquoted", "a,b\nc,,d\n", ',', [][]string{{"a", "b"}, {"c", "", "d"}}, false},
		{"unquoted crlf", "a,b\r\n", ',', [][]string{{"a", "b"}}, false},
		{"trailing delimiter", "a,", ',', [][]string{{"a", ""}}, false},
		{"empty quoted", `"",""` + "\n", ',', [][]string{{"", ""}}, false},
		{"only escaped quote", `""""` + "\n", ',', [][]string{{`"`}}, false},
		{"blank lines skipped", "\n\"a\"\n\n\"b\"\n", ',', [][]string{{"a"}, {"b"}}, false},
		{"tab", "\"a\"\t\"b,c\"\n", '\t', [][]string{{"a", "b,c"}}, false},
		{"pipe in value", "\"a|b\"|\"c\"\n", '|', [][]string{{"a|b", "c"}}, false},
		{"unterminated", "\"abc\n", ',', nil, true},
		{"unterminated escaped", "\"a\"\"bc\n", ',', nil, true},
		{"junk after quote", "\"a\"x,\"b\"\n", ',', nil, true},
		{"utf8", "\"Zoë\",\"東京\"\n", ',', [][]string{{"Zoë", "東京"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAll(t, tc.in, tc.delim)
			if tc.err {
				var ce *CSVError
				if !errors.As(err, &ce) {
					t.Fatalf("want CSVError, got %v (rows %q)", err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestRowParserLineNumbers(t *testing.T) {
	p := NewRowParser("\"a\nb\",\"c\"\n\"d\"\n", ',')
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	if p.Line() != 3 {
		t.Fatalf("line after a two-line record = %d, want 3", p.Line())
	}
}

// randomCSV writes rows in Bulk 2.0 form (all quoted) with hostile values,
// returning the text and the rows. CR is left out so encoding/csv (which
// drops CR before LF even inside quotes) can serve as the oracle.
func randomCSV(r *rand.Rand, rows, cols int, delim byte) (string, [][]string) {
	alphabet := []string{"a", "Z", "0", " ", `"`, `""`, "\n", string(delim), ",", "é", "東", "'", `\`, "%", "_"}
	var b strings.Builder
	var all [][]string
	for range rows {
		row := make([]string, cols)
		for c := range cols {
			var v strings.Builder
			for range r.IntN(12) {
				v.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			row[c] = v.String()
			if c > 0 {
				b.WriteByte(delim)
			}
			b.WriteString(`"` + strings.ReplaceAll(row[c], `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
		all = append(all, row)
	}
	return b.String(), all
}

func TestRowParserMatchesEncodingCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, delim := range []byte{',', '\t', ';', '|', '^', '`'} {
		text, want := randomCSV(r, 300, 7, delim)
		got, err := parseAll(t, text, delim)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("delim %q: parser disagrees with the written rows", delim)
		}
		cr := csv.NewReader(strings.NewReader(text))
		cr.Comma = rune(delim)
		oracle, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, oracle) {
			t.Fatalf("delim %q: parser disagrees with encoding/csv", delim)
		}
	}
}

func FuzzRowParser(f *testing.F) {
	f.Add("\"a\",\"b\"\n\"c\"\"d\",\"e\nf\"\n")
	f.Add("a,b\n\n,c,\n")
	f.Add("\"\"\"\",x\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseAll(t, in, ',')
		if strings.ContainsRune(in, '\r') {
			return // encoding/csv rewrites CR; only check we do not panic
		}
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord = -1
		want, werr := cr.ReadAll()
		if werr != nil {
			return // we are more lenient (bare quotes in unquoted fields)
		}
		if err != nil {
			t.Fatalf("encoding/csv accepts %q, we fail: %v", in, err)
		}
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("in %q: got %q want %q", in, got, want)
		}
	})
}

func TestDelimiterByte(t *testing.T) {
	for name, want := range map[string]byte{"": ',', "COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'} {
		got, err := delimiterByte(name)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v", name, got, err)
		}
	}
	if _, err := delimiterByte("SPACE"); err == nil {
		t.Error("SPACE accepted")
	}
}

// contactsPage is a realistic Bulk 2.0 Contact page of n rows.
func contactsPage(n int) string {
	var b strings.Builder
	b.WriteString(`"Id","FirstName","LastName","Email","Phone","AccountId","Account.Name","Title","MailingCity","MailingCountry","OwnerId"` + "\n")
	for i := range n {
		fmt.Fprintf(&b, `"003Ho00000%08dAAA","Anna","ONeil-%d","anna.oneil%d@example.com","+1 415 555 %04d","001Ho00000%08dAAB","Acme Widgets %d, Inc.","Senior Director of Sales","San Francisco","United States","005Ho000001aBcDEF"`+"\n",
			i, i, i, i%10000, i/7, i/7)
	}
	return b.String()
}

func BenchmarkRowParser(b *testing.B) {
	page := contactsPage(20000)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		p := NewRowParser(page, ',')
		for {
			if _, err := p.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

func BenchmarkEncodingCSV(b *testing.B) {
	page := contactsPage(20000)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		r := csv.NewReader(strings.NewReader(page))
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
