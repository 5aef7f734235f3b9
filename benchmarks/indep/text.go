package main

import (
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

var special = strings.NewReplacer("ß", "ss", "ø", "o", "Ø", "O", "æ", "ae", "Æ", "Ae", "ł", "l", "Ł", "L", "œ", "oe", "đ", "d")

var germanFold = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue")

// fold removes accents: "Müller" → "Muller" ("Mueller" with german).
func fold(s string, german bool) string {
	if german {
		s = germanFold.Replace(s)
	}
	s = special.Replace(s)
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

func hasAccent(s string) bool {
	for _, r := range s {
		if r > 127 {
			return true
		}
	}
	return false
}

// localPart is a name made fit for an email address: folded, lower case,
// without spaces, apostrophes or dots.
func localPart(s string, german bool) string {
	s = strings.ToLower(fold(s, german))
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Email patterns of a firm, with weights.
var emailPatterns = []struct {
	name   string
	weight int
}{
	{"first.last", 40}, {"flast", 20}, {"first", 6}, {"firstl", 5}, {"first_last", 5},
	{"f.last", 7}, {"firstlast", 7}, {"last.first", 5}, {"lastf", 5},
}

func pickPattern(r *rand.Rand) int {
	n := 0
	for _, p := range emailPatterns {
		n += p.weight
	}
	x := r.IntN(n)
	for i, p := range emailPatterns {
		if x < p.weight {
			return i
		}
		x -= p.weight
	}
	return 0
}

// emailLocal builds the local part of pattern p for a name.
func emailLocal(p int, first, last string, german bool) string {
	f, l := localPart(first, german), localPart(last, german)
	if f == "" {
		f = "x"
	}
	if l == "" {
		l = "x"
	}
	switch emailPatterns[p].name {
	case "flast":
		return f[:1] + l
	case "first":
		return f
	case "firstl":
		return f + l[:1]
	case "first_last":
		return f + "_" + l
	case "f.last":
		return f[:1] + "." + l
	case "firstlast":
		return f + l
	case "last.first":
		return l + "." + f
	case "lastf":
		return l + f[:1]
	}
	return f + "." + l
}

var keyboardNeighbours = map[rune]string{
	'a': "sqz", 'b': "vn", 'c': "xv", 'd': "sf", 'e': "wr", 'f': "dg", 'g': "fh", 'h': "gj", 'i': "uo", 'j': "hk",
	'k': "jl", 'l': "k", 'm': "n", 'n': "bm", 'o': "ip", 'p': "o", 'q': "w", 'r': "et", 's': "ad", 't': "ry",
	'u': "yi", 'v': "cb", 'w': "qe", 'x': "zc", 'y': "tu", 'z': "x",
}

// typo makes one keyboard mistake in s (not in its first letter): a swap,
// a dropped or doubled letter, or a neighbouring key.
func typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s + string(rs[len(rs)-1])
	}
	for range 10 {
		out := append([]rune(nil), rs...)
		i := 1 + r.IntN(len(rs)-1)
		switch r.IntN(4) {
		case 0:
			if i == len(rs)-1 {
				i--
			}
			if i == 0 {
				continue
			}
			out[i], out[i+1] = out[i+1], out[i]
		case 1:
			if len(rs) < 5 {
				continue
			}
			out = append(out[:i], out[i+1:]...)
		case 2:
			out = append(out[:i+1], out[i:]...)
		case 3:
			nb := keyboardNeighbours[unicode.ToLower(out[i])]
			if nb == "" {
				continue
			}
			out[i] = rune(nb[r.IntN(len(nb))])
		}
		if string(out) != s {
			return string(out)
		}
	}
	return s + "e"
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func pickWeighted(r *rand.Rand, m map[string]int) string {
	keys := make([]string, 0, len(m))
	n := 0
	for k, w := range m {
		keys = append(keys, k)
		n += w
	}
	slices.Sort(keys)
	x := r.IntN(n)
	for _, k := range keys {
		if x < m[k] {
			return k
		}
		x -= m[k]
	}
	return keys[0]
}
