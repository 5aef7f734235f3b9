// This file holds the normaliser and the text folding every kind of field
// uses; the kinds of field have their own files: normalize_names.go,
// normalize_contact.go (email, domain, phone), normalize_company.go
// (company, title) and normalize_place.go.

package matcher

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// normalizer holds the x/text transformers, which are stateful and so owned
// by one goroutine each.
type normalizer struct {
	strip transform.Transformer // NFD, drop combining marks, NFC
	fold  cases.Caser           // Unicode case folding (ß → ss, ...)
	pn    phonenumbers.PhoneNumber
	// nddCache holds national dialling prefixes by region.
	nddCache map[string]string
	// possibleLen caches isPossible by calling code and number of digits:
	// 0 not known yet, 1 not possible, 2 possible.
	possibleLen [1000][21]uint8
	// Memos of company names, titles and websites, which repeat across a
	// company's people.
	companyMemo memo[*compName]
	titleMemo   memo[*titleInfo]
	// Given names and surnames repeat across people too; the memos also
	// make one string of each name, so comparisons of equal names are
	// pointer-equal and the names stay in cache.
	givenMemo   memo[givenName]
	surnameMemo memo[string]
	domainMemo  memo[string]
	regionMemo  map[string]string
}

const memoLimit = 1 << 18

func newNormalizer() *normalizer {
	return &normalizer{
		strip: transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC),
		fold:  cases.Fold(),
	}
}

// letterFolds are letters that canonical decomposition leaves alone but that
// people commonly write in ASCII.
var letterFolds = strings.NewReplacer(
	"ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "æ", "ae", "œ", "oe", "ı", "i", "ŀ", "l",
)

// foldText lower-cases, removes accents and folds special letters. ASCII input
// takes a fast path.
func (n *normalizer) foldText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	if !utf8.ValidString(s) {
		// The accent stripping fails on an invalid byte, and the whole
		// string would keep its accents: invalid bytes become U+FFFD,
		// which separates words as any other non-letter does.
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = n.fold.String(s)
	if out, _, err := transform.String(n.strip, s); err == nil {
		s = out
	}
	return letterFolds.Replace(s)
}

// tokens folds s and splits it into words: letters and digits are kept,
// apostrophes and dots are removed inside words ("O'Neil" → "oneil",
// "S.A." → "sa"), every other character separates words.
func (n *normalizer) tokens(s string, buf []string) []string {
	s = n.foldText(s)
	start := -1    // start of the current word in s
	dirty := false // the current word contains characters to drop
	emit := func(end int) {
		if start < 0 {
			return
		}
		w := s[start:end]
		if dirty {
			w = strings.Map(func(r rune) rune {
				if isWordChar(r) {
					return r
				}
				return -1
			}, w)
		}
		if w != "" {
			buf = append(buf, w)
		}
		start, dirty = -1, false
	}
	for i, r := range s {
		switch {
		case isWordChar(r):
			if start < 0 {
				start = i
			}
		case r == '\'' || r == '’' || r == '.' || r == '`':
			if start >= 0 {
				dirty = true
			}
		case r == '&':
			emit(i)
			buf = append(buf, "and")
		default:
			emit(i)
		}
	}
	emit(len(s))
	return buf
}

func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func setOf(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

func has(m map[string]struct{}, w string) bool { _, ok := m[w]; return ok }
