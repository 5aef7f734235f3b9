package soql

import (
	"strings"
	"testing"
)

// FuzzLex: the lexer never panics; its tokens lie in order inside the
// source, each one's raw text exactly the source at its position, ending
// with EOF just after the last non-blank character; a string token's text
// quoted again lexes back to the same text; errors are MALFORMED_QUERY
// with a detail.
func FuzzLex(f *testing.F) {
	for _, s := range []string{
		"SELECT Id FROM Contact WHERE LastName = 'O\\'Brien' AND Score__c >= -1.5",
		"WHERE d = 2024-03-01 AND t > 2024-03-01T10:05:00.123+01:00 AND n = LAST_N_DAYS:7",
		`'\u00e9\n\t\b\f\\\"' <> != <= >= < > = , ( ) :`,
		"'unterminated", `'bad \q escape'`, "a.b.c__r.d__c", "x ; y", "é", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks, err := lex(src)
		if err != nil {
			if err.Code != CodeMalformedQuery || err.Detail == "" {
				t.Fatalf("lex(%q): error %+v", src, err)
			}
			return
		}
		if len(toks) == 0 || toks[len(toks)-1].kind != tokEOF {
			t.Fatalf("lex(%q): no EOF token: %v", src, toks)
		}
		end := 0
		for _, tk := range toks[:len(toks)-1] {
			if tk.kind == tokEOF || tk.pos < end || tk.pos+len(tk.raw) > len(src) || src[tk.pos:tk.pos+len(tk.raw)] != tk.raw || tk.raw == "" {
				t.Fatalf("lex(%q): token %+v out of place (previous ended at %d)", src, tk, end)
			}
			if strings.TrimLeft(src[end:tk.pos], " \t\n\r\f") != "" {
				t.Fatalf("lex(%q): %q skipped before %+v", src, src[end:tk.pos], tk)
			}
			end = tk.pos + len(tk.raw)
			if tk.kind == tokString {
				again, err := lex(Quote(tk.text))
				if err != nil || len(again) != 2 || again[0].kind != tokString || again[0].text != tk.text {
					t.Fatalf("string %q quoted as %s lexes as %+v, %v", tk.text, Quote(tk.text), again, err)
				}
			}
		}
		if eof := toks[len(toks)-1]; eof.pos != len(strings.TrimRight(src, " \t\n\r\f")) {
			t.Fatalf("lex(%q): EOF at %d", src, eof.pos)
		}
	})
}
