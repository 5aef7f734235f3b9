package matcher

import (
	"math/bits"
	"strings"
)

// Similarity thresholds of the fuzzy levels (Jaro-Winkler).
const (
	jwStrong = 0.92
	jwWeak   = 0.84
)

// leadLevelsOf compares a lead with a CRM person field by field.
func leadLevelsOf(l, c *prepPerson) [numLeadFields]level {
	var lv [numLeadFields]level
	lv[fEmail] = compareEmail(l, c)
	lv[fPhone] = comparePhones(l.phones, c.phones)
	lv[fFirst] = compareGiven(l, c)
	lv[fLast] = compareSurname(l.last, c.last)
	if lv[fFirst] != lvExact && lv[fFirst] != lvNickname && lv[fLast] != lvExact && swapped(l, c) {
		lv[fFirst], lv[fLast] = lvSwapped, lvSwapped
	}
	lv[fCompany] = compareCompany(l.company, l.domains[:], c.company, c.domains[:])
	lv[fTitle] = compareTitle(l.title, c.title)
	lv[fPastCompany] = lvMissing
	ls := l.lead
	if len(ls.past) > 0 && (c.company.name != "") {
		lv[fPastCompany] = lvDifferent
	past:
		for i := range ls.past {
			switch compareCompany(&ls.past[i], nil, c.company, c.domains[:]) {
			case lvExact:
				lv[fPastCompany] = lvExact
				break past // nothing after can do better
			case lvFuzzyStrong:
				lv[fPastCompany] = lvFuzzyStrong
			}
		}
	}
	lv[fPastTitle] = lvMissing
	if len(ls.pastTitles) > 0 && c.title.norm != "" {
		best := lvDifferent
		for i := range ls.pastTitles {
			// past_title has no same_function level: a past job of the
			// function at another seniority is a different job
			if t := compareTitle(&ls.pastTitles[i], c.title); t < best && t != lvSameFunction {
				best = t
			}
		}
		lv[fPastTitle] = best
	}
	return lv
}

// compareEmail compares the addresses of a lead and a CRM person: exact;
// fuzzy_strong (a typo); same_domain (two work addresses at one domain,
// other mailboxes: an alias of one person, or two colleagues);
// personal_work (a free-mail address against a work one); different.
func compareEmail(l, c *prepPerson) level {
	a, b := l.email, c.email
	if lv := eqLevel(a, b); lv != lvDifferent {
		return lv
	}
	// A typo: same domain, close local parts with the same digits. Local
	// parts are mostly made of the name, so "j.smith@x" against
	// "j.smith@y", or "olivia.h3479@gmail" against "olivia.h3723@gmail",
	// says nothing beyond the names.
	// One keying error (a letter wrong, missing, added, or two swapped) in
	// the local part; a second mailbox of the name ("maria.z.fernandez",
	// "sanne.vanvliet9") differs by more.
	la, da, _ := strings.Cut(a, "@")
	lb, db, _ := strings.Cut(b, "@")
	if da == db && sameDigits(la, lb) && oneEdit(la, lb) {
		return lvFuzzyStrong
	}
	switch {
	case l.emailWork && c.emailWork && da == db:
		if l.first != "" && l.first == c.first && l.last != "" && l.last == c.last &&
			spellsName(la, l.first, l.last) && spellsName(lb, l.first, l.last) {
			return lvAlias
		}
		return lvSameDomain
	case l.emailWork != c.emailWork:
		return lvPersonalWork
	}
	return lvDifferent
}

// spellsName reports whether an address's local part is the folded given
// name g and surname s in one of the usual patterns (g, s, g.s, s.g,
// gs, g_s, gS-initial, g-initial s, s g-initial), with no digit or other
// letter: "alexandra.fletcher", "alexandraf", "afletcher", "fletchera".
// A digit or a middle initial ("jakub.c.kaminski", "tao.luo3") is how a
// firm tells two people of one name apart, so it does not spell it.
func spellsName(local, g, s string) bool {
	var buf [64]byte
	b := buf[:0]
	for i := 0; i < len(local); i++ {
		switch ch := local[i]; {
		case ch >= 'a' && ch <= 'z':
			b = append(b, ch)
		case ch == '.' || ch == '_' || ch == '-':
		default:
			return false
		}
	}
	w := string(b)
	if len(w) < 2 {
		return false
	}
	return w == g || w == s ||
		w == g+s || w == s+g || // patterns spelt out: concatenation allocates only for candidates of one domain
		len(w) == len(s)+1 && (w[0] == g[0] && w[1:] == s || w[:len(s)] == s && w[len(s)] == g[0]) ||
		len(w) == len(g)+1 && w[:len(g)] == g && w[len(g)] == s[0]
}

// oneEdit reports whether a and b differ by exactly one edit: a byte
// replaced, inserted or deleted, or two adjacent bytes swapped.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) {
			return false
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return a[i+1:] == b[i:]
	}
	return false
}

// sameDigits reports whether two strings contain the same digit sequence.
func sameDigits(a, b string) bool { return equalSkipping(a, b, skipNonDigits) }

// skipNonDigits steps over the bytes from s[i] that are not digits.
func skipNonDigits(s string, i int) int {
	for i < len(s) && (s[i] < '0' || s[i] > '9') {
		i++
	}
	return i
}

// equalSkipping reports whether a and b are equal once skip has stepped
// over what it passes over, on both sides: skip(s, i) is the index of the
// next byte of s at or after i that counts.
func equalSkipping(a, b string, skip func(s string, i int) int) bool {
	i, j := 0, 0
	for {
		i, j = skip(a, i), skip(b, j)
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

func comparePhones(a, b [2]uint64) level {
	best := lvMissing
	for _, x := range a {
		if x == 0 {
			continue
		}
		for _, y := range b {
			switch {
			case y == 0:
			case x == y:
				return lvExact
			case x%10_000_000 == y%10_000_000:
				best = lvFuzzyWeak
			case best == lvMissing:
				best = lvDifferent
			}
		}
	}
	return best
}

func compareGiven(l, c *prepPerson) level {
	a, b := l.first, c.first
	switch {
	case a == "" || b == "":
		return lvMissing
	case l.firstInit || c.firstInit:
		if a[0] == b[0] {
			return lvInitial
		}
		return lvDifferent
	case a == b:
		return lvExact
	case rootsIntersect(l.firstRoots, c.firstRoots):
		return lvNickname
	case transliterated(a, b):
		return lvFuzzyStrong
	}
	return jwLevel(jaroWinkler(a, b), true)
}

// transliterated reports whether two folded names are one name with and
// without the digraphs that spell a letter without its diacritic: German
// ä ö ü as ae oe ue ("Dörte Günther" folds to "dorte gunther", written
// "Doerte Guenther" on a keyboard without them), Danish and Norwegian å as
// aa ("Åse", "Aase"). Jaro-Winkler grades them weak ("dorte" and "doerte"
// 0.90: the inserted letter reads as transpositions). An e after a, o or u
// and an a after a are skipped on both sides, so "michael" and "michal" are
// one too, as they are across languages.
func transliterated(a, b string) bool { return equalSkipping(a, b, skipDigraph) }

// skipDigraph steps over the second letter of a digraph at s[i] (an e
// after a, o or u; an a after a).
func skipDigraph(s string, i int) int {
	if i > 0 && i < len(s) {
		p := s[i-1]
		if s[i] == 'e' && (p == 'a' || p == 'o' || p == 'u') || s[i] == 'a' && p == 'a' {
			return i + 1
		}
	}
	return i
}

func compareSurname(a, b string) level {
	if l := eqLevel(a, b); l != lvDifferent {
		return l
	}
	if len(a) >= 4 && len(b) >= 4 && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) {
		// a double-barrelled name against one of its parts
		return lvFuzzyStrong
	}
	if transliterated(a, b) {
		return lvFuzzyStrong
	}
	return jwLevel(jaroWinkler(a, b), true)
}

// jwLevel grades the Jaro-Winkler similarity of two different values:
// strong from jwStrong, weak from jwWeak when weak agreements count.
func jwLevel(jw float64, weak bool) level {
	switch {
	case jw >= jwStrong:
		return lvFuzzyStrong
	case weak && jw >= jwWeak:
		return lvFuzzyWeak
	}
	return lvDifferent
}

// swapped reports whether first and last name are exchanged between the
// two records.
func swapped(l, c *prepPerson) bool {
	ls := l.lead
	if ls.swapFirst == "" || ls.swapLast == "" || c.first == "" || c.last == "" || c.firstInit {
		return false
	}
	return (ls.swapLast == c.last || jaroWinkler(ls.swapLast, c.last) >= jwStrong) &&
		(ls.swapFirst == c.first || rootsIntersect(nicknames().Roots(ls.swapFirst), c.firstRoots) || jaroWinkler(ls.swapFirst, c.first) >= jwStrong)
}

// compareCompany compares two company names and, when given, their
// registrable domains.
func compareCompany(a *compName, ad []string, b *compName, bd []string) level {
	hasA := a.name != "" || nonEmpty(ad)
	hasB := b.name != "" || nonEmpty(bd)
	if !hasA || !hasB {
		return lvMissing
	}
	if a.name != "" && a.name == b.name {
		return lvExact
	}
	for _, x := range ad {
		if x == "" {
			continue
		}
		for _, y := range bd {
			if x == y {
				return lvExact
			}
		}
	}
	if a.name == "" || b.name == "" {
		// only domains on one side: a domain label equal to the other name
		return domainNameLevel(a, ad, b, bd)
	}
	if (a.acr != "" && a.acr == b.name) || (b.acr != "" && b.acr == a.name) {
		// An acronym that the long name's own domain spells too is the
		// firm: "FMD" and "Federal Marine Dynamics" whose people write
		// from fmd.co.
		if b.acr == a.name && spells(bd, a.name) || a.acr == b.name && spells(ad, b.name) {
			return lvExact
		}
		return lvFuzzyStrong
	}
	if tokenPrefix(a.name, b.name) || tokenPrefix(b.name, a.name) || compactPrefix(a, b) || compactPrefix(b, a) {
		return lvFuzzyStrong
	}
	// Variants of one company name keep its first letter; comparing the
	// rest of the pairs (most candidate pairs) would cost a Jaro-Winkler
	// each for nothing.
	if a.name[0] == b.name[0] {
		if l := jwLevel(jaroWinkler(a.name, b.name), true); l != lvDifferent {
			if l == lvFuzzyStrong && !wordsAlike(a.name, b.name) {
				// "hawthorn star power" and "hawthorn software": a long
				// shared start, other words: two firms of one first word
				l = lvFuzzyWeak
			}
			return l
		}
	}
	if l := domainNameLevel(a, ad, b, bd); l != lvDifferent {
		return l
	}
	fa, _, _ := strings.Cut(a.name, " ")
	fb, _, _ := strings.Cut(b.name, " ")
	if len(fa) >= 4 && fa == fb {
		return lvFuzzyWeak
	}
	return lvDifferent
}

// wordsAlike reports whether two multi-word names have as many words, each
// close to its counterpart (a typo, a transliteration: "muller schafer",
// "mueller schaefer"); one-word names always are.
func wordsAlike(a, b string) bool {
	if strings.Count(a, " ") != strings.Count(b, " ") {
		return false
	}
	for a != "" {
		var wa, wb string
		wa, a, _ = strings.Cut(a, " ")
		wb, b, _ = strings.Cut(b, " ")
		if wa != wb && jaroWinkler(wa, wb) < jwWeak {
			return false
		}
	}
	return true
}

func nonEmpty(ds []string) bool {
	for _, d := range ds {
		if d != "" {
			return true
		}
	}
	return false
}

// domainNameLevel: "acme.com" against the name "Acme" is a strong fuzzy
// agreement.
func domainNameLevel(a *compName, ad []string, b *compName, bd []string) level {
	for _, d := range ad {
		if d != "" && b.compact != "" && labelIs(d, b.compact) {
			return lvFuzzyStrong
		}
	}
	for _, d := range bd {
		if d != "" && a.compact != "" && labelIs(d, a.compact) {
			return lvFuzzyStrong
		}
	}
	return lvDifferent
}

// spells reports whether one of the domains ds has the first label name.
func spells(ds []string, name string) bool {
	for _, d := range ds {
		if d != "" && labelIs(d, name) {
			return true
		}
	}
	return false
}

// labelIs reports whether the first label of domain d, hyphens ignored,
// is name.
func labelIs(d, name string) bool {
	j := 0
	for i := 0; i < len(d) && d[i] != '.'; i++ {
		switch {
		case d[i] == '-':
		case j < len(name) && d[i] == name[j]:
			j++
		default:
			return false
		}
	}
	return j == len(name)
}

// tokenPrefix reports whether short's words are the leading words of long
// ("acme" and "acme industries").
// compactPrefix reports whether short, without its spaces, is long's
// first words without theirs, and one of them has spaces: the name run
// together ("BlueRidgeFoods", "LoneStar", "MoselEnergie" for "Blue Ridge
// Foods Group", "Lone Star Solutions", "Mosel Energie International").
func compactPrefix(short, long *compName) bool {
	s := short.compact
	if len(s) < 6 || short.compact == short.name && long.compact == long.name || !strings.HasPrefix(long.compact, s) {
		return false
	}
	n := 0 // letters of long.name read
	for i := 0; i < len(long.name); i++ {
		if long.name[i] != ' ' {
			n++
		} else if n == len(s) {
			return true
		}
	}
	return n == len(s)
}

func tokenPrefix(short, long string) bool {
	return len(short) >= 3 && len(long) > len(short) && strings.HasPrefix(long, short) && long[len(short)] == ' '
}

func compareTitle(a, b *titleInfo) level {
	switch {
	case a.norm == "" || b.norm == "":
		return lvMissing
	case a.norm == b.norm:
		return lvExact
	}
	// The same job worded differently: most words shared, the same words
	// naming its function ("Senior Vice President, Partnerships" is not
	// "Senior Vice President, Sales"), and the same qualifiers (senior,
	// associate, global...: "Senior Sales Manager" is a promotion of
	// "Sales Manager").
	if a.mods == b.mods && (a.fsig == b.fsig || a.fsig == 0 || b.fsig == 0) && sigJaccard(a.sig, b.sig) >= 0.6 &&
		(a.function == b.function || a.function == fnNone || b.function == fnNone) {
		return lvFuzzyStrong
	}
	if a.function != fnNone && a.function == b.function {
		if a.sen == b.sen {
			return lvFuzzyWeak
		}
		return lvSameFunction
	}
	return lvDifferent
}

// sigJaccard estimates the word Jaccard similarity from word signatures.
func sigJaccard(a, b uint64) float64 {
	u := bits.OnesCount64(a | b)
	if u == 0 {
		return 0
	}
	return float64(bits.OnesCount64(a&b)) / float64(u)
}

// tokenJaccard is the Jaccard similarity of the space-separated word sets.
func tokenJaccard(a, b string) float64 {
	var ab, bb [12]string
	ta := appendFields(ab[:0], a)
	tb := appendFields(bb[:0], b)
	inter := 0
	for _, x := range ta {
		for _, y := range tb {
			if x == y {
				inter++
				break
			}
		}
	}
	union := len(ta) + len(tb) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func appendFields(buf []string, s string) []string {
	for s != "" {
		var w string
		w, s, _ = strings.Cut(s, " ")
		if w != "" {
			buf = append(buf, w)
		}
	}
	return buf
}
