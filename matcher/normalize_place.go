package matcher

import (
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

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
