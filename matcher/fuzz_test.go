package matcher

import (
	"cmp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Fuzz targets of the normalisers. Seed corpora are in
// testdata/fuzz/<FuzzName>/; `go test` runs them as ordinary tests,
// `go test -run '^$' -fuzz FuzzX -fuzztime 30s ./matcher/` explores. The
// normalisers are called without their memos, so each input is normalised
// from scratch.

// validWords holds for a normalised value: valid UTF-8, no surrounding or
// doubled spaces, no control character.
func validWords(t *testing.T, what, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) || strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
		t.Fatalf("%s(%q) = %q", what, in, out)
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f {
			t.Fatalf("%s(%q) = %q: a control character", what, in, out)
		}
	}
}

// foldStable reports whether the text folding (case, accents) of s is
// already a fixed point after one pass: it is not for a few scripts (the
// Unicode case folding of Cherokee turns "Ꮟ" into "ꮟ" and back), and no
// normaliser built on it can be idempotent there.
func foldStable(n *normalizer, s string) bool {
	f := n.foldText(s)
	return n.foldText(f) == f
}

// FuzzNames: a given name normalises to one word (no space) or "", a
// surname to one word of its joined parts; neither panics, both are
// valid UTF-8, and both are idempotent wherever the text folding is
// stable (see foldStable): a normalised name normalises to itself (the
// initial flag included). Invalid UTF-8 too: an invalid byte separates
// words and the rest is folded ("\x95ќ" gives "к", as "ќ" does).
func FuzzNames(f *testing.F) {
	n := newNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		g, initial := n.foldGivenName(s)
		validWords(t, "givenName", s, g)
		if strings.Contains(g, " ") || initial && utf8.RuneCountInString(g) != 1 {
			t.Fatalf("givenName(%q) = %q, %v", s, g, initial)
		}
		// Invalid bytes fold as U+FFFD, a separator, and the rest is
		// folded. Stability is judged on the valid text: judged on s, a
		// folding that stopped at an invalid byte looked unstable and
		// hid the defect.
		v := strings.ToValidUTF8(s, "\uFFFD")
		if f, fv := n.foldText(s), n.foldText(v); f != fv {
			t.Fatalf("foldText(%q) = %q; of %q: %q", s, f, v, fv)
		}
		valid := foldStable(n, v)
		if g != "" && valid {
			if g2, init2 := n.foldGivenName(g); g2 != g || init2 != initial {
				t.Fatalf("givenName(%q) = %q, %v; of that: %q, %v", s, g, initial, g2, init2)
			}
		}
		sn := n.foldSurname(s)
		validWords(t, "surname", s, sn)
		if strings.Contains(sn, " ") {
			t.Fatalf("surname(%q) = %q", s, sn)
		}
		if sn != "" && valid {
			if sn2 := n.foldSurname(sn); sn2 != sn {
				t.Fatalf("surname(%q) = %q; of that: %q", s, sn, sn2)
			}
		}
	})
}

// FuzzEmail: an address normalises to "" or to a lower-case address with
// one '@', no blank, control character (C0, DEL, C1) or U+FFFD and a
// valid host, and a normalised address normalises to itself; its work
// domain is "" or a registrable domain that is not free mail.
func FuzzEmail(f *testing.F) {
	n := newNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		e := normEmail(s)
		if e == "" {
			return
		}
		if !utf8.ValidString(e) || strings.IndexFunc(e, func(r rune) bool {
			return r <= ' ' || unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError
		}) >= 0 {
			t.Fatalf("email(%q) = %q", s, e)
		}
		local, host, ok := strings.Cut(e, "@")
		if !ok || local == "" || strings.Contains(host, "@") || !validHost(host) || strings.ToLower(e) != e {
			t.Fatalf("email(%q) = %q", s, e)
		}
		if e2 := normEmail(e); e2 != e {
			t.Fatalf("email(%q) = %q; of that: %q", s, e, e2)
		}
		if d := n.workDomain(e); d != "" && (isFreeMail(d) || registrableDomain(d) != d) {
			t.Fatalf("workDomain(%q) = %q", e, d)
		}
	})
}

// FuzzDomain: a website, URL, host or address reduces to "" or to a
// registrable domain: lower case, a valid host, and its own registrable
// domain (idempotent).
func FuzzDomain(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d := registrableDomain(s)
		if d == "" {
			return
		}
		validWords(t, "domain", s, d)
		if !validHost(d) || strings.ToLower(d) != d {
			t.Fatalf("domain(%q) = %q", s, d)
		}
		if d2 := registrableDomain(d); d2 != d {
			t.Fatalf("domain(%q) = %q; of that: %q", s, d, d2)
		}
	})
}

// FuzzPhone: any text and country give 0 or a number, never a panic; and
// a number libphonenumber calls valid, written as +<digits>, parses back to
// itself in the record's region or any other. (Merely possible numbers
// need not: "000RiIWERS" in Myanmar keeps a national zero that parsing
// "+95007449377" drops; and they may be longer than E.164's 15 digits:
// "+49 0330x7x6 18330x7x", keypad letters as digits, has 17.)
func FuzzPhone(f *testing.F) {
	n := newNormalizer()
	f.Fuzz(func(t *testing.T, s, country string) {
		region := n.lookupRegion(country)
		v := n.phone(s, region)
		if v == 0 {
			return
		}
		pn, err := phonenumbers.Parse(s, cmp.Or(region, "US"))
		if err != nil || !phonenumbers.IsValidNumber(pn) {
			return
		}
		e := strconv.FormatUint(v, 10)
		for _, r := range []string{region, "US", "DE"} {
			if v2 := n.phone("+"+e, r); v2 != v {
				t.Fatalf("phone(%q, %q) = %d; phone(+%s, %q) = %d", s, region, v, e, r, v2)
			}
		}
	})
}

// FuzzCompany: a company name normalises to words joined by single spaces
// that do not end in a dangling "and" or a legal form of one word or
// several ("Sociedad Anónima", "Public Limited Company"; those before an
// "&" included: "Müller GmbH & Co. KG" is "muller"), never a panic; an
// acronym is only given to a name of several words and is their initials,
// without and, of and for, given exactly when there are at least two of
// them, counted in letters ("刈 of" has none: one initial of three bytes).
// A normalised name normalises to itself with the same acronym
// (idempotent: "The The Acme" is "acme", as "The Acme" is) wherever the
// text folding is stable (see foldStable).
func FuzzCompany(f *testing.F) {
	n := newNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		name, acr := n.company(s)
		validWords(t, "company", s, name)
		words := strings.Fields(name)
		if len(words) > 1 && words[len(words)-1] == "and" {
			t.Fatalf("company(%q) = %q: ends in 'and'", s, name)
		}
		if legalTail(words) > 0 {
			t.Fatalf("company(%q) = %q: ends in a legal form", s, name)
		}
		var want []rune
		for _, w := range words {
			if w != "and" && w != "of" && w != "for" {
				r, _ := utf8.DecodeRuneInString(w)
				want = append(want, r)
			}
		}
		if len(words) < 2 || len(want) < 2 {
			want = nil
		}
		if acr != string(want) {
			t.Fatalf("company(%q) = %q, acronym %q; want %q", s, name, acr, string(want))
		}
		if name != "" && foldStable(n, s) && foldStable(n, name) {
			if name2, acr2 := n.company(name); name2 != name || acr2 != acr {
				t.Fatalf("company(%q) = %q, %q; of that: %q, %q", s, name, acr, name2, acr2)
			}
		}
	})
}

// FuzzTitle: a job title normalises to words joined by single spaces,
// never a panic, and a normalised title normalises to itself with the same
// seniority and function (idempotent) wherever the text folding is stable
// (see foldStable).
func FuzzTitle(f *testing.F) {
	n := newNormalizer()
	f.Fuzz(func(t *testing.T, s string) {
		norm, sen, fn := n.title(s)
		validWords(t, "title", s, norm)
		if norm == "" || !foldStable(n, s) || !foldStable(n, norm) {
			return
		}
		if norm2, sen2, fn2 := n.title(norm); norm2 != norm || sen2 != sen || fn2 != fn {
			t.Fatalf("title(%q) = %q, %d, %d; of that: %q, %d, %d", s, norm, sen, fn, norm2, sen2, fn2)
		}
	})
}
