package matcher

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/publicsuffix"
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

func (n *normalizer) companyName(s string) *compName {
	return n.companyMemo.get(s, 1<<18, func(s string) *compName {
		c := newCompName(n.company(s))
		return &c
	})
}

func (n *normalizer) titleInfo(s string) *titleInfo {
	return n.titleMemo.get(s, 1<<16, func(s string) *titleInfo {
		t := newTitleInfo(n.title(s))
		return &t
	})
}

// domain is registrableDomain, memoised.
func (n *normalizer) domain(s string) string {
	if s == "" {
		return ""
	}
	return n.domainMemo.get(s, 1<<18, registrableDomain)
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

var honorifics = setOf("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "madam", "mme", "mlle", "herr", "frau", "rev", "fr", "hon", "capt", "col", "lt", "sr", "sra", "srta")

var nameSuffixes = setOf("jr", "jnr", "sr", "snr", "ii", "iii", "iv", "v", "phd", "md", "mba", "esq", "cpa", "dds", "dvm", "rn", "pe", "pmp", "cfa", "msc", "bsc", "ma", "ba", "jd", "llm", "mph", "frcs", "obe", "mbe", "cbe")

func setOf(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

func has(m map[string]struct{}, w string) bool { _, ok := m[w]; return ok }

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
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c == '"' {
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

// regionOf maps a country name or ISO 3166 alpha-2 code to a region code
// for phone parsing; "" when unknown.
func (n *normalizer) regionOf(country string) string {
	if v, ok := n.regionMemo[country]; ok {
		return v
	}
	if n.regionMemo == nil {
		n.regionMemo = map[string]string{}
	}
	v := n.lookupRegion(country)
	if len(n.regionMemo) < memoLimit {
		n.regionMemo[country] = v
	}
	return v
}

func (n *normalizer) lookupRegion(country string) string {
	c := strings.TrimSpace(country)
	if c == "" {
		return ""
	}
	if len(c) == 2 {
		up := strings.ToUpper(c)
		if phonenumbers.GetCountryCodeForRegion(up) != 0 {
			return up
		}
	}
	var arr [6]string
	key := strings.Join(n.tokens(c, arr[:0]), " ")
	return countryNames[key]
}

// countryNames maps folded country names (and common variants) to ISO codes.
var countryNames = map[string]string{
	"united states": "US", "united states of america": "US", "usa": "US", "us": "US", "america": "US",
	"united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL", "colombia": "CO", "peru": "PE",
	"germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "espana": "ES", "italy": "IT", "italia": "IT",
	"portugal": "PT", "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "belgium": "BE", "luxembourg": "LU",
	"switzerland": "CH", "austria": "AT", "ireland": "IE", "denmark": "DK", "sweden": "SE", "norway": "NO", "finland": "FI",
	"iceland": "IS", "poland": "PL", "czech republic": "CZ", "czechia": "CZ", "slovakia": "SK", "hungary": "HU",
	"romania": "RO", "bulgaria": "BG", "greece": "GR", "turkey": "TR", "turkiye": "TR", "russia": "RU", "ukraine": "UA",
	"israel": "IL", "united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA", "qatar": "QA", "egypt": "EG",
	"south africa": "ZA", "nigeria": "NG", "kenya": "KE", "morocco": "MA", "india": "IN", "pakistan": "PK",
	"bangladesh": "BD", "china": "CN", "hong kong": "HK", "taiwan": "TW", "japan": "JP", "south korea": "KR",
	"korea": "KR", "singapore": "SG", "malaysia": "MY", "indonesia": "ID", "thailand": "TH", "vietnam": "VN",
	"viet nam": "VN", "philippines": "PH", "australia": "AU", "new zealand": "NZ", "estonia": "EE", "latvia": "LV",
	"lithuania": "LT", "croatia": "HR", "slovenia": "SI", "serbia": "RS",
	// alpha-3 codes and names in the country's own language
	"gbr": "GB", "can": "CA", "aus": "AU", "deu": "DE", "fra": "FR", "esp": "ES", "ita": "IT",
	"nld": "NL", "ind": "IN", "irl": "IE", "che": "CH", "aut": "AT", "bel": "BE", "swe": "SE", "nor": "NO",
	"dnk": "DK", "fin": "FI", "pol": "PL", "prt": "PT", "bra": "BR", "mex": "MX", "jpn": "JP", "chn": "CN",
	"sgp": "SG", "nzl": "NZ", "zaf": "ZA", "are": "AE", "isr": "IL", "kor": "KR",
	"bharat": "IN", "nederland": "NL", "belgie": "BE", "belgique": "BE", "schweiz": "CH", "suisse": "CH",
	"osterreich": "AT", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "polska": "PL",
	"brasil": "BR", "nippon": "JP", "zhongguo": "CN", "republique francaise": "FR", "federal republic of germany": "DE",
	"bundesrepublik deutschland": "DE", "kingdom of spain": "ES", "reino de espana": "ES", "republic of india": "IN",
	"kingdom of the netherlands": "NL", "commonwealth of australia": "AU", "u s a": "US", "u k": "GB",
}

// legalSuffixes are company-form words dropped from the end of a company name.
var legalSuffixes = setOf(
	"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company", "plc",
	"gmbh", "ag", "kg", "mbh", "ug", "se", "sa", "sas", "sarl", "sl", "sau", "spa", "srl", "bv", "nv", "oy", "oyj", "ab", "as",
	"asa", "aps", "pty", "pte", "pvt", "kk", "kft", "zrt", "sro", "doo", "sp", "zoo", "ltda", "cv", "de", "sab", "lda", "pllc", "pc",
)

// company normalises a company name: folded, "&" as "and", dots dropped
// ("S.A." → "sa"), a leading "The" and trailing legal forms removed. It also
// returns the acronym of a multi-word name ("international business
// machines" → "ibm") for acronym comparison, "" for one-word names.
func (n *normalizer) company(s string) (name, acronym string) {
	var arr [12]string
	toks := n.tokens(s, arr[:0])
	if len(toks) > 1 && toks[0] == "the" {
		toks = toks[1:]
	}
	for len(toks) > 1 && has(legalSuffixes, toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	for len(toks) > 1 && toks[len(toks)-1] == "and" { // "Smith & Co" → "smith"
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return "", ""
	}
	if len(toks) == 1 {
		return toks[0], ""
	}
	var acr []byte
	for _, t := range toks {
		if t == "and" || t == "of" || t == "for" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(t)
		acr = utf8.AppendRune(acr, r)
	}
	if len(acr) < 2 {
		acr = nil
	}
	return strings.Join(toks, " "), string(acr)
}

// titleWords expands job-title abbreviations.
var titleWords = map[string]string{
	"vp": "vice president", "svp": "senior vice president", "evp": "executive vice president", "avp": "assistant vice president",
	"sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior", "mgr": "manager", "mngr": "manager", "dir": "director",
	"eng": "engineer", "engr": "engineer", "engg": "engineering", "mktg": "marketing", "mkt": "marketing", "dev": "developer",
	"ops": "operations", "hr": "human resources", "acct": "account", "exec": "executive", "admin": "administrator",
	"asst": "assistant", "assoc": "associate", "coord": "coordinator", "rep": "representative", "spec": "specialist",
	"tech": "technical", "it": "information technology", "bd": "business development", "biz": "business", "dept": "department",
	"intl": "international", "natl": "national", "prin": "principal", "pres": "president", "mgmt": "management",
	"sw": "software", "qa": "quality assurance", "ae": "account executive", "sdr": "sales development representative",
	"bdr": "business development representative", "gm": "general manager", "md": "managing director",
	"csm": "customer success manager", "pm": "product manager", "swe": "software engineer", "ea": "executive assistant",
	"ciso": "chief information security officer", "cyber": "cybersecurity", "procure": "procurement",
}

// titleKeepS are title words ending in "s" that are not plurals (or whose
// plural is the usual form); other words ending in "s" are singularised so
// that "Solutions Architect" and "Solution Architect" agree.
var titleKeepS = setOf("sales", "business", "analytics", "logistics", "economics", "news", "series", "status",
	"ops", "success", "access", "process", "express", "physics", "mathematics", "statistics", "affairs",
	"ethics", "robotics", "electronics", "aerodynamics", "dynamics", "various", "plus", "campus", "corpus", "chaos")

// singular returns the singular form of a title word ("architects" ->
// "architect", "technologies" -> "technology"); words ending in "ss", "us",
// "is" or in titleKeepS, and short words, are returned unchanged.
func singular(t string) string {
	if len(t) < 5 || t[len(t)-1] != 's' || has(titleKeepS, t) {
		return t
	}
	switch p := t[len(t)-2]; {
	case p == 's' || p == 'u' || p == 'i' || p == '\'':
		return t
	case strings.HasSuffix(t, "ies"):
		return t[:len(t)-3] + "y"
	}
	return t[:len(t)-1]
}

var titleStop = setOf("of", "the", "and", "for", "in", "at", "to")

// Seniority levels, low to high.
const (
	senNone uint8 = iota
	senJunior
	senIC
	senSenior
	senManager
	senHead
	senDirector
	senVP
	senCLevel
)

// Functions.
const (
	fnNone uint8 = iota
	fnSales
	fnMarketing
	fnEngineering
	fnFinance
	fnHR
	fnOperations
	fnProduct
	fnIT
	fnLegal
	fnSupport
	fnGeneral
	fnData
	fnDesign
)

var seniorityWords = map[string]uint8{
	"intern": senJunior, "junior": senJunior, "trainee": senJunior, "assistant": senJunior, "associate": senIC,
	"specialist": senIC, "analyst": senIC, "engineer": senIC, "developer": senIC, "representative": senIC, "executive": senIC,
	"coordinator": senIC, "consultant": senIC, "architect": senIC, "scientist": senIC, "designer": senIC,
	"senior": senSenior, "lead": senHead, "principal": senSenior, "staff": senSenior,
	"manager": senManager, "head": senHead, "director": senDirector, "vice": senVP, "president": senCLevel,
	"ceo": senCLevel, "cto": senCLevel, "cfo": senCLevel, "coo": senCLevel, "cmo": senCLevel, "cio": senCLevel, "cro": senCLevel,
	"chief": senCLevel, "founder": senCLevel, "cofounder": senCLevel, "owner": senCLevel, "partner": senCLevel,
}

var functionWords = map[string]uint8{
	"sales": fnSales, "account": fnSales, "business": fnSales, "revenue": fnSales, "cro": fnSales,
	"marketing": fnMarketing, "brand": fnMarketing, "growth": fnMarketing, "communications": fnMarketing, "communication": fnMarketing, "cmo": fnMarketing,
	"engineering": fnEngineering, "engineer": fnEngineering, "software": fnEngineering, "developer": fnEngineering, "cto": fnEngineering, "technology": fnEngineering,
	"finance": fnFinance, "financial": fnFinance, "accounting": fnFinance, "controller": fnFinance, "cfo": fnFinance, "treasury": fnFinance,
	"human": fnHR, "people": fnHR, "talent": fnHR, "recruiting": fnHR, "recruiter": fnHR,
	"partnership": fnSales, "alliance": fnSales, "channel": fnSales,
	"operations": fnOperations, "operation": fnOperations, "operating": fnOperations, "supply": fnOperations,
	"logistics": fnOperations, "procurement": fnOperations, "purchasing": fnOperations, "sourcing": fnOperations,
	"buyer": fnOperations, "coo": fnOperations,
	"product": fnProduct, "information": fnIT, "security": fnIT, "cybersecurity": fnIT, "infrastructure": fnIT, "cio": fnIT,
	"system": fnIT, "ciso": fnIT,
	"legal": fnLegal, "counsel": fnLegal, "compliance": fnLegal, "support": fnSupport, "customer": fnSupport, "success": fnSupport,
	"ceo": fnGeneral, "founder": fnGeneral, "owner": fnGeneral, "general": fnGeneral, "data": fnData, "analytics": fnData,
	"design": fnDesign, "designer": fnDesign, "ux": fnDesign,
}

// title normalises a job title (folded, abbreviations expanded, stop words
// dropped) and classifies its seniority and function.
func (n *normalizer) title(s string) (norm string, seniority, function uint8) {
	var arr [12]string
	toks := n.tokens(s, arr[:0])
	if len(toks) == 0 {
		return "", senNone, fnNone
	}
	var outArr [16]string
	out := outArr[:0]
	for _, t := range toks {
		if t == "dev" && len(out) > 0 && out[len(out)-1] == "business" {
			out = append(out, "development") // "Biz Dev"
			continue
		}
		if e, ok := titleWords[t]; ok {
			out = appendFields(out, e)
			continue
		}
		if has(titleStop, t) {
			continue
		}
		out = append(out, singular(t))
	}
	// "Lead" is a head of a function ("Sales Lead" = "Head of Sales") unless
	// the title names an individual role ("Lead Engineer": a senior one).
	ic := false
	for _, t := range out {
		if seniorityWords[t] == senIC {
			ic = true
			break
		}
	}
	for i, t := range out {
		v, ok := seniorityWords[t]
		if t == "lead" && ic {
			v = senSenior
		}
		if ok && v > seniority {
			seniority = v
		}
		if function == fnNone {
			function = functionWords[t]
			if function == fnNone && t == "executive" && i > 0 && out[i-1] == "chief" {
				function = fnGeneral // "Chief Executive"
			}
		}
	}
	return strings.Join(out, " "), seniority, function
}

// streetWords abbreviates street-address words to the USPS forms.
var streetWords = map[string]string{
	"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr", "lane": "ln",
	"court": "ct", "place": "pl", "square": "sq", "parkway": "pkwy", "highway": "hwy", "suite": "ste", "floor": "fl",
	"north": "n", "south": "s", "east": "e", "west": "w", "building": "bldg", "terrace": "ter", "circle": "cir",
	"strasse": "str", "straße": "str",
}

func (n *normalizer) street(s string) string {
	var arr [12]string
	toks := n.tokens(s, arr[:0])
	for i, t := range toks {
		if a, ok := streetWords[t]; ok {
			toks[i] = a
		}
	}
	return strings.Join(toks, " ")
}

// usStates maps US state and Canadian province names to their codes.
var usStates = map[string]string{
	"alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
	"connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il",
	"indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
	"massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
	"nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny",
	"north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
	"rhode island": "ri", "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut",
	"vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy",
	"district of columbia": "dc", "ontario": "on", "quebec": "qc", "british columbia": "bc", "alberta": "ab",
	"manitoba": "mb", "saskatchewan": "sk", "nova scotia": "ns", "new brunswick": "nb", "newfoundland and labrador": "nl",
	"prince edward island": "pe",
}

// place normalises a city or state name; states are reduced to their codes.
func (n *normalizer) place(s string, state bool) string {
	var arr [6]string
	v := strings.Join(n.tokens(s, arr[:0]), " ")
	if state {
		if c, ok := usStates[v]; ok {
			return c
		}
	}
	return v
}

// postal normalises a postal code: upper-case letters and digits only; a US
// ZIP+4 is reduced to its five digits.
func postal(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	p := b.String()
	if len(p) == 9 && isDigits(p) && strings.Contains(s, "-") {
		p = p[:5]
	}
	return p
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
