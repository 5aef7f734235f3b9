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
	long := strings.Repeat("x", 3<<19) // longer than the reader's buffer; the record is within maxRecordBytes
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

// TestScannerTooLong: a record past maxRecordBytes, on one line or over
// several, unquoted or inside a quoted field, is one record without fields
// (tooLong) that ends where the CSV syntax says it ends; the next record
// is read from its real start, with its line.
func TestScannerTooLong(t *testing.T) {
	big := strings.Repeat("y", maxRecordBytes+10)
	lines := strings.Repeat("a,b\n", maxRecordBytes/4+10)
	tests := []struct {
		name, in     string
		start, end   int
		unterminated bool
		nextLine     int
	}{
		{"one unquoted line", "h1,h2\n" + big + ",z\nn1,n2\n", 2, 2, false, 3},
		{"one quoted line", "h1,h2\n\"" + big + "\",z\nn1,n2\n", 2, 2, false, 3},
		{"quoted lines", "h1,h2\nq,\"" + lines + "\"\nn1,n2\n", 2, 2 + maxRecordBytes/4 + 10, false, 3 + maxRecordBytes/4 + 10},
		{"escaped quotes", "h1,h2\nq,\"" + strings.Repeat("\"\"x\n", maxRecordBytes/3) + "\"\r\nn1,n2\r\n", 2, 2 + maxRecordBytes/3, false, 3 + maxRecordBytes/3},
		{"a long line in quotes", "h1,h2\nq,\"a\n" + big + "\nb\",z\nn1,n2\n", 2, 4, false, 5},
		{"stray quote", "h1,h2\nab\"c," + big + "\nn1,n2\n", 2, 2, false, 3},
		{"never closed", "h1,h2\nq,\"" + lines, 2, 1 + maxRecordBytes/4 + 10, true, 0},
		{"closed at EOF", "h1,h2\nq,\"" + lines + "\"", 2, 2 + maxRecordBytes/4 + 10, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCSVScanner(strings.NewReader(tc.in))
			if err := s.next(); err != nil || len(s.fields) != 2 {
				t.Fatalf("header: %v", err)
			}
			if err := s.next(); err != nil {
				t.Fatal(err)
			}
			if !s.tooLong || len(s.fields) != 0 || s.start != tc.start || s.end != tc.end || s.unterminated != tc.unterminated || len(s.raw) > MaxRawBytes+4 {
				t.Fatalf("tooLong %v, %d fields, lines %d–%d, unterminated %v, raw %d bytes; want lines %d–%d, unterminated %v",
					s.tooLong, len(s.fields), s.start, s.end, s.unterminated, len(s.raw), tc.start, tc.end, tc.unterminated)
			}
			err := s.next()
			if tc.nextLine == 0 {
				if err != io.EOF {
					t.Fatalf("after the record: %v, want EOF", err)
				}
				return
			}
			if err != nil || s.tooLong || s.start != tc.nextLine || len(s.fields) != 2 || string(s.fields[0]) != "n1" || string(s.fields[1]) != "n2" {
				t.Fatalf("next record: %v, %q at line %d (tooLong %v), want n1,n2 at line %d", err, s.fields, s.start, s.tooLong, tc.nextLine)
			}
			if err := s.next(); err != io.EOF {
				t.Fatalf("%v, want EOF", err)
			}
		})
	}
}
