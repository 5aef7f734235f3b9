package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokIdent            // identifier, keyword or dotted path, as written
	tokString           // quoted string; text is the decoded value
	tokNumber           // [+-]digits[.digits]
	tokDate             // YYYY-MM-DD
	tokDateTime         // YYYY-MM-DDThh:mm:ss[.fff](Z|±hh[:]mm)
	tokComma
	tokLParen
	tokRParen
	tokColon
	tokOp // comparison operator; text is its canonical form (= != < > <= >=)
)

type token struct {
	kind tokKind
	text string // identifiers, numbers, dates: as written; strings: decoded; operators: canonical
	raw  string // the source text of the token
	pos  int    // byte offset of the token in the query
}

// lex splits src into tokens, ending with a tokEOF whose position is just
// after the last non-blank character.
func lex(src string) ([]token, *Error) {
	toks := make([]token, 0, 16)
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) {
				if isIdentPart(src[j]) {
					j++
				} else if src[j] == '.' && j+1 < len(src) && isIdentStart(src[j+1]) {
					j += 2
				} else {
					break
				}
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], raw: src[i:j], pos: i})
			i = j
		case c == '\'':
			t, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.raw)
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(src) && isDigit(src[i+1])):
			if n := dateTimeLen(src[i:]); n > 0 {
				kind := tokDateTime
				if n == 10 {
					kind = tokDate
				}
				toks = append(toks, token{kind: kind, text: src[i : i+n], raw: src[i : i+n], pos: i})
				i += n
				continue
			}
			j := i + 1
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				j += 2
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			toks = append(toks, token{kind: tokNumber, text: src[i:j], raw: src[i:j], pos: i})
			i = j
		case c == ',':
			toks = append(toks, token{kind: tokComma, text: ",", raw: ",", pos: i})
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", raw: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", raw: ")", pos: i})
			i++
		case c == ':':
			toks = append(toks, token{kind: tokColon, text: ":", raw: ":", pos: i})
			i++
		case c == '=':
			toks = append(toks, token{kind: tokOp, text: "=", raw: "=", pos: i})
			i++
		case c == '!' && i+1 < len(src) && src[i+1] == '=':
			toks = append(toks, token{kind: tokOp, text: "!=", raw: "!=", pos: i})
			i += 2
		case c == '<' || c == '>':
			op, n := string(c), 1
			if i+1 < len(src) {
				switch {
				case src[i+1] == '=':
					op, n = op+"=", 2
				case c == '<' && src[i+1] == '>':
					op, n = "!=", 2
				}
			}
			toks = append(toks, token{kind: tokOp, text: op, raw: src[i : i+n], pos: i})
			i += n
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, badCharacter(src, i, string(r))
		}
	}
	end := len(strings.TrimRight(src, " \t\n\r\f"))
	toks = append(toks, token{kind: tokEOF, pos: end})
	return toks, nil
}

// badCharacter is Salesforce's lexer error, e.g. for a double-quoted string:
// "line 1:35 no viable alternative at character '"'" (0-based column).
func badCharacter(src string, pos int, ch string) *Error {
	e := errAt(src, pos, CodeMalformedQuery, "")
	e.Detail = "line " + strconv.Itoa(e.Row) + ":" + strconv.Itoa(e.Column-1) + " no viable alternative at character '" + ch + "'"
	e.Message += e.Detail
	return e
}

// lexString reads the quoted string that starts at src[start].
func lexString(src string, start int) (token, *Error) {
	i := start + 1
	for i < len(src) {
		switch src[i] {
		case '\\':
			i += 2
		case '\'':
			raw := src[start : i+1]
			text, err := decodeString(src, start, false)
			if err != nil {
				return token{}, err
			}
			return token{kind: tokString, text: text, raw: raw, pos: start}, nil
		default:
			i++
		}
	}
	return token{}, badCharacter(src, start, "'")
}

// decodeString decodes the quoted string at src[start]. In LIKE mode the
// result keeps the pattern unambiguous: an unescaped % or _ stays a bare
// wildcard, and a literal %, _ or backslash (from \%, \_, \\ or \u) is
// written with a backslash before it.
func decodeString(src string, start int, likeMode bool) (string, *Error) {
	var b strings.Builder
	put := func(r rune) {
		if likeMode && (r == '%' || r == '_' || r == '\\') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	i := start + 1
	for {
		c := src[i]
		if c == '\'' {
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c) // a bare % or _ is a wildcard in LIKE mode
			i++
			continue
		}
		esc := src[i+1]
		switch esc {
		case 'n', 'N':
			put('\n')
		case 'r', 'R':
			put('\r')
		case 't', 'T':
			put('\t')
		case 'b', 'B':
			put('\b')
		case 'f', 'F':
			put('\f')
		case '"', '\'', '\\', '%', '_':
			put(rune(esc))
		case 'u', 'U':
			if i+6 > len(src) {
				return "", badEscape(src, start, i, i+2)
			}
			v, err := strconv.ParseUint(src[i+2:i+6], 16, 32)
			if err != nil {
				return "", badEscape(src, start, i, i+6)
			}
			put(rune(v))
			i += 6
			continue
		default:
			_, n := utf8.DecodeRuneInString(src[i+1:])
			return "", badEscape(src, start, i, i+1+n)
		}
		i += 2
	}
}

func badEscape(src string, start, escStart, escEnd int) *Error {
	if escEnd > len(src) {
		escEnd = len(src)
	}
	lit := src[start+1:]
	if end := strings.IndexByte(src[escEnd:], '\''); end >= 0 {
		lit = src[start+1 : escEnd+end]
	}
	return errAt(src, start, CodeMalformedQuery,
		"Invalid string literal '"+lit+"'. Illegal character sequence '"+src[escStart:escEnd]+"' in string literal.")
}

// dateTimeLen returns the length of a date (10) or date-time literal at the
// start of s, or 0.
func dateTimeLen(s string) int {
	if len(s) < 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return 0
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != 't') || !digits(s[11:13]) || s[13] != ':' || !digits(s[14:16]) || s[16] != ':' || !digits(s[17:19]) {
		if len(s) > 10 && isIdentPart(s[10]) {
			return 0
		}
		return 10
	}
	n := 19
	if n+1 < len(s) && s[n] == '.' && isDigit(s[n+1]) {
		n++
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	}
	switch {
	case n < len(s) && (s[n] == 'Z' || s[n] == 'z'):
		return n + 1
	case n+3 <= len(s) && (s[n] == '+' || s[n] == '-') && digits(s[n+1:n+3]):
		m := n + 3
		if m < len(s) && s[m] == ':' {
			m++
		}
		if m+2 <= len(s) && digits(s[m:m+2]) {
			return m + 2
		}
	}
	return 0
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
