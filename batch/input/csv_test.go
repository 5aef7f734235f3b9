package input

import (
	"bytes"
	"encoding/csv"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestScannerAgainstEncodingCSV writes random records with encoding/csv
// (quotes, commas, line breaks, empty fields, CRLF) and checks that the
// scanner reads back the same fields and the line each record starts on.
func TestScannerAgainstEncodingCSV(t *testing.T) {
	alphabet := []string{"a", "b", "é", ",", `"`, "\n", " ", "x y", "", "日本"}
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 7))
		var records [][]string
		for range 1 + r.IntN(40) {
			rec := make([]string, 1+r.IntN(6))
			for i := range rec {
				var sb strings.Builder
				for range r.IntN(6) {
					sb.WriteString(alphabet[r.IntN(len(alphabet))])
				}
				rec[i] = sb.String()
			}
			if len(rec) == 1 && rec[0] == "" {
				rec[0] = "z" // encoding/csv writes a lone empty field as a blank line
			}
			records = append(records, rec)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.UseCRLF = seed%2 == 0
		w.WriteAll(records)

		// The line each record starts on, from encoding/csv.
		cr := csv.NewReader(bytes.NewReader(b.Bytes()))
		cr.FieldsPerRecord = -1
		var wantLines []int
		for {
			if _, err := cr.Read(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			line, _ := cr.FieldPos(0)
			wantLines = append(wantLines, line)
		}

		s := newCSVScanner(bytes.NewReader(b.Bytes()))
		for i, want := range records {
			if err := s.next(); err != nil {
				t.Fatalf("seed %d record %d: %v", seed, i, err)
			}
			var got []string
			for _, f := range s.fields {
				got = append(got, string(f))
			}
			if w.UseCRLF {
				for k := range want {
					want[k] = strings.ReplaceAll(want[k], "\r\n", "\n")
				}
			}
			if !reflect.DeepEqual(got, want) || s.badQuote || s.start != wantLines[i] {
				t.Fatalf("seed %d record %d: got %q (line %d, badQuote %v), want %q (line %d)", seed, i, got, s.start, s.badQuote, want, wantLines[i])
			}
		}
		if err := s.next(); err != io.EOF {
			t.Fatalf("seed %d: %v after the last record", seed, err)
		}
	}
}

func TestScannerLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20) // longer than the reader's buffer
	in := "a,b\n" + long + ",\"q\"\"" + long + "\"\nc,d\n"
	s := newCSVScanner(strings.NewReader(in))
	for i, want := range [][]string{{"a", "b"}, {long, `q"` + long}, {"c", "d"}} {
		if err := s.next(); err != nil {
			t.Fatal(err)
		}
		if len(s.fields) != 2 || string(s.fields[0]) != want[0] || string(s.fields[1]) != want[1] || s.start != i+1 {
			t.Fatalf("record %d: %d fields, line %d", i, len(s.fields), s.start)
		}
	}
}
