package matcher

import (
	"strings"
	"unicode/utf8"
)

var honorifics = setOf("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "madam", "mme", "mlle", "herr", "frau", "rev", "fr", "hon", "capt", "col", "lt", "sr", "sra", "srta")

var nameSuffixes = setOf("jr", "jnr", "sr", "snr", "ii", "iii", "iv", "v", "phd", "md", "mba", "esq", "cpa", "dds", "dvm", "rn", "pe", "pmp", "cfa", "msc", "bsc", "ma", "ba", "jd", "llm", "mph", "frcs", "obe", "mbe", "cbe")

// generations are the generational suffixes of a name, by the generation
// they name: Jr. and II, Sr., III, IV. They tell a parent from a child of
// the same name, where the other suffixes (PhD, MBA) are the same person's.
var generations = map[string]uint8{"jr": 1, "jnr": 1, "junior": 1, "ii": 1, "2nd": 1, "sr": 2, "snr": 2, "senior": 2, "iii": 3, "3rd": 3, "iv": 4, "4th": 4}

// generation is the generational suffix closing a name's last field (or its
// first, where a form put the whole name), 0 for none: "Hayashi Sr." is 2.
// A one-word field is a name, not a suffix ("Senior" is a family name).
func generation(first, last string) uint8 {
	for _, f := range [2]string{last, first} {
		if !strings.ContainsAny(f, " ,.") {
			continue // one word: no suffix, and nothing to allocate for most names
		}
		words := strings.FieldsFunc(strings.ToLower(f), func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
		if len(words) > 1 {
			if g := generations[words[len(words)-1]]; g != 0 {
				return g
			}
		}
	}
	return 0
}

// givenName normalises a first-name field: accents, case and punctuation
// folded, hyphenated names joined, honorifics and suffixes removed. It returns the first remaining
// word and whether that word is a bare initial ("J." → "j", true).
func (n *normalizer) givenName(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	g := n.givenMemo.get(s, 1<<16, func(s string) givenName {
		name, init := n.foldGivenName(s)
		return givenName{name, init}
	})
	return g.name, g.initial
}

// givenName is a normalised given name and whether it is a bare initial.
type givenName struct {
	name    string
	initial bool
}

func (n *normalizer) foldGivenName(s string) (string, bool) {
	if simpleWord(s) {
		return strings.ToLower(s), len(s) == 1
	}
	var arr [8]string
	if strings.IndexByte(s, '-') >= 0 {
		s = strings.ReplaceAll(s, "-", "") // "Ji-woo", "Lars-Erik": one given name
	}
	toks := n.tokens(s, arr[:0])
	for len(toks) > 1 && has(honorifics, toks[0]) {
		toks = toks[1:]
	}
	for len(toks) > 1 && has(nameSuffixes, toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return "", false
	}
	first := toks[0]
	if utf8.RuneCountInString(first) == 1 && len(toks) > 1 && utf8.RuneCountInString(toks[1]) > 1 {
		// "J. Robert" goes by Robert; keep the initial only when nothing better follows.
		return toks[1], false
	}
	return first, utf8.RuneCountInString(first) == 1
}

// surname normalises a last-name field: folded, suffixes (Jr, III, PhD, …)
// and a leading honorific removed, particles kept and joined without spaces
// ("van der Berg" → "vanderberg", "Smith-Jones" → "smithjones").
func (n *normalizer) surname(s string) string {
	if s == "" {
		return ""
	}
	return n.surnameMemo.get(s, 1<<16, n.foldSurname)
}

func (n *normalizer) foldSurname(s string) string {
	if simpleWord(s) {
		return strings.ToLower(s)
	}
	var arr [8]string
	toks := n.tokens(s, arr[:0])
	for len(toks) > 1 && has(nameSuffixes, toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	for len(toks) > 1 && has(honorifics, toks[0]) {
		toks = toks[1:]
	}
	switch len(toks) {
	case 0:
		return ""
	case 1:
		return toks[0]
	}
	return strings.Join(toks, "")
}

// simpleWord reports whether s is one ASCII word of letters, which needs
// no folding beyond lower-casing and cannot be an honorific or suffix
// on its own (those are only dropped next to another word).
func simpleWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
