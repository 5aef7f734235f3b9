package matcher

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/publicsuffix"
)

// domain is registrableDomain, memoised.
func (n *normalizer) domain(s string) string {
	if s == "" {
		return ""
	}
	return n.domainMemo.get(s, 1<<18, registrableDomain)
}

// isWorkEmail reports whether a normalised address (with its work domain
// wd, "" when there is none) is at a work domain: not free mail. A host
// without a registrable domain (a public suffix itself, as "net.io") is
// judged by its own name.
func (n *normalizer) isWorkEmail(email, wd string) bool {
	if email == "" {
		return false
	}
	if wd != "" {
		return true
	}
	_, host, _ := strings.Cut(email, "@")
	return !isFreeMail(host) && n.domain(host) == ""
}

// workDomain returns the registrable domain of a work email, or "" for free
// mail and invalid addresses. The input is already normalised.
func (n *normalizer) workDomain(email string) string {
	_, host, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	d := n.domain(host)
	if d == "" || isFreeMail(d) {
		return ""
	}
	return d
}

// email trims, lower-cases and syntax-checks an address; it returns "" for
// anything that is not a plausible single address.
func normEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "mailto:")
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return ""
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return ""
	}
	for _, c := range local {
		// Control characters (C0, DEL, C1) and blanks are never in an
		// address; nor is U+FFFD, which ToLower wrote for invalid bytes
		// (any two invalid addresses would otherwise be one).
		if c <= ' ' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c == '"' ||
			c >= 0x7f && (unicode.IsControl(c) || unicode.IsSpace(c) || c == utf8.RuneError) {
			return ""
		}
	}
	if !validHost(domain) {
		return ""
	}
	return s
}

func validHost(h string) bool {
	if len(h) < 3 || len(h) > 253 || !strings.Contains(h, ".") || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, r := range h {
		if !(r == '.' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// freeMailDomains are registrable domains of consumer mail providers: an
// address there says nothing about the employer.
var freeMailDomains = setOf(
	"gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "hotmail.com", "outlook.com", "live.com",
	"msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "pm.me", "gmx.com", "gmx.net",
	"gmx.de", "web.de", "t-online.de", "mail.com", "mail.ru", "yandex.com", "yandex.ru", "qq.com", "163.com", "126.com",
	"sina.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "comcast.net", "verizon.net", "att.net",
	"sbcglobal.net", "btinternet.com", "orange.fr", "free.fr", "laposte.net", "libero.it", "naver.com", "hanmail.net",
	"rediffmail.com", "inbox.com", "bigpond.com", "shaw.ca", "rogers.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
)

// freeMailFamilies are providers with many country domains (yahoo.co.uk, hotmail.fr, ...).
var freeMailFamilies = setOf("yahoo", "hotmail", "outlook", "live", "gmx", "yandex", "aol", "orange")

// isFreeMail reports whether a registrable domain belongs to a consumer mail provider.
func isFreeMail(regDomain string) bool {
	if has(freeMailDomains, regDomain) {
		return true
	}
	label, _, _ := strings.Cut(regDomain, ".")
	return has(freeMailFamilies, label)
}

// hostOf extracts a lower-case host name from a website, URL, bare domain or
// email address; "" when there is none.
func hostOf(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimPrefix(s, "www.")
	if !validHost(s) {
		return ""
	}
	return s
}

// registrableDomain reduces a website, URL, host or email to its registrable
// domain (eTLD+1) with the public suffix list: "https://shop.acme.co.uk/x" →
// "acme.co.uk". It returns "" when there is no such domain.
func registrableDomain(s string) string {
	h := hostOf(s)
	if h == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return ""
	}
	return d
}

// phone parses a phone number with the region of the record's country and
// returns its E.164 digits as an integer (extensions dropped); 0 when the
// number is not possible. Common shapes take a fast path that uses
// phonenumbers' metadata (calling codes, national prefixes, possible
// lengths) without its regular expressions, which cost ~20 µs a number;
// everything else, and anything the fast path finds impossible, goes
// through phonenumbers.Parse. Tests check that both paths agree on valid
// numbers.
func (n *normalizer) phone(s, region string) uint64 {
	s = strings.TrimSpace(s)
	if len(s) < 5 {
		return 0
	}
	if region == "" {
		region = "US"
	}
	if v, ok := n.fastPhone(s, region); ok {
		return v
	}
	return n.slowPhone(s, region)
}

func (n *normalizer) slowPhone(s, region string) uint64 {
	// ParseToNumber leaves fields it does not set (NumberOfLeadingZeros,
	// Extension) from the previous parse: start from a clean value.
	n.pn.Reset()
	if err := phonenumbers.ParseToNumber(s, region, &n.pn); err != nil {
		return 0
	}
	if !phonenumbers.IsPossibleNumber(&n.pn) {
		return 0
	}
	e := phonenumbers.Format(&n.pn, phonenumbers.E164)
	v, err := strconv.ParseUint(strings.TrimPrefix(e, "+"), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// fastRegions are regions whose national prefix is a plain digit string
// (or none), so stripping it is what phonenumbers does.
var fastRegions = setOf("US", "CA", "GB", "DE", "FR", "ES", "NL", "BE", "CH", "AT", "IE", "SE", "NO", "DK", "FI", "PL",
	"PT", "AU", "NZ", "IN", "SG", "JP", "IL", "ZA", "CZ", "IT", "GR", "HK", "AE", "KR", "MY", "PH", "TH", "TW")

// fastPhone handles "+<calling code> <digits>" and national numbers of
// fastRegions, with separators and a trailing extension. ok is false when
// the shape is anything else.
func (n *normalizer) fastPhone(s, region string) (uint64, bool) {
	var buf [20]byte
	d := buf[:0]
	plus, trunk := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(d) == len(buf) {
				return 0, false
			}
			d = append(d, c)
		case c == '+' && len(d) == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '/':
		case c == '(' && plus && strings.HasPrefix(s[i:], "(0)"):
			i += 2 // "+44 (0)20 ...": the trunk prefix is not dialled from abroad
			trunk = true
		case c == '(' || c == ')':
			if plus {
				return 0, false
			}
		case (c == 'x' || c == 'X' || c == '#' || c == 'e' || c == 'E') && len(d) >= 7:
			i = len(s) // the extension: dropped
		default:
			return 0, false
		}
	}
	var cc int
	var nsn []byte
	if plus {
		for k := 1; k <= 3 && k < len(d); k++ {
			v, _ := strconv.Atoi(string(d[:k]))
			if phonenumbers.GetRegionCodeForCountryCode(v) != "ZZ" {
				cc, nsn = v, d[k:]
				break
			}
		}
		if cc == 0 || (trunk && phonenumbers.GetRegionCodeForCountryCode(cc) == "IT") {
			return 0, false // Italy keeps its leading zero
		}
	} else {
		if !has(fastRegions, region) || len(d) < 2 || (d[0] == '0' && d[1] == '0') {
			return 0, false
		}
		cc = phonenumbers.GetCountryCodeForRegion(region)
		nsn = d
		if cc == 1 {
			if len(d) == 11 && d[0] == '1' {
				nsn = d[1:]
			} else if len(d) > 10 && d[0] == '0' {
				return 0, false // 011 international prefix
			}
		} else if strings.HasPrefix(string(d), strconv.Itoa(cc)) {
			return 0, false // may be an international number without "+"
		} else if ndd := n.ndd(region); ndd != "" && strings.HasPrefix(string(d), ndd) {
			nsn = d[len(ndd):]
		}
	}
	if len(nsn) == 0 || nsn[0] == '0' {
		return 0, false // Italian-style leading zeros: let phonenumbers decide
	}
	national, err := strconv.ParseUint(string(nsn), 10, 64)
	if err != nil {
		return 0, false
	}
	if !n.isPossible(cc, national, len(nsn)) {
		return 0, false // phonenumbers may read it another way (a kept trunk prefix)
	}
	e, err := strconv.ParseUint(strconv.Itoa(cc)+string(nsn), 10, 64)
	if err != nil {
		return 0, false
	}
	return e, true
}

// isPossible is phonenumbers.IsPossibleNumber of calling code cc and a
// national number of the given digits without leading zeros. The answer
// depends only on the calling code and the number of digits (the possible
// lengths of the code's main region), so it is cached per normalizer.
func (n *normalizer) isPossible(cc int, national uint64, digits int) bool {
	// n.pn is left holding the number either way: slowPhone parses into
	// the same value, and what a parse leaves in it must not change.
	cc32 := int32(cc)
	n.pn.Reset()
	n.pn.CountryCode = &cc32
	n.pn.NationalNumber = &national
	cached := cc >= 0 && cc < len(n.possibleLen) && digits < len(n.possibleLen[0])
	if cached {
		if v := n.possibleLen[cc][digits]; v != 0 {
			return v == 2
		}
	}
	ok := phonenumbers.IsPossibleNumber(&n.pn)
	if cached {
		n.possibleLen[cc][digits] = 1
		if ok {
			n.possibleLen[cc][digits] = 2
		}
	}
	return ok
}

// ndd returns the national dialling prefix of a region, cached per
// normalizer.
func (n *normalizer) ndd(region string) string {
	if v, ok := n.nddCache[region]; ok {
		return v
	}
	if n.nddCache == nil {
		n.nddCache = map[string]string{}
	}
	v := phonenumbers.GetNddPrefixForRegion(region, true)
	n.nddCache[region] = v
	return v
}
