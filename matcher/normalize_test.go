package matcher

import (
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestGivenName(t *testing.T) {
	n := newNormalizer()
	tests := []struct {
		in      string
		want    string
		initial bool
	}{
		{"John", "john", false},
		{"  JOSÉ ", "jose", false},
		{"Dr. Anna-Maria", "annamaria", false},
		{"Ji-woo", "jiwoo", false},
		{"Mary Ann", "mary", false},
		{"J.", "j", true},
		{"J. Robert", "robert", false},
		{"Mr", "mr", false},
		{"Zoë", "zoe", false},
		{"Łukasz", "lukasz", false},
		{"Søren", "soren", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, init := n.givenName(tt.in)
		if got != tt.want || init != tt.initial {
			t.Errorf("givenName(%q) = %q, %v; want %q, %v", tt.in, got, init, tt.want, tt.initial)
		}
	}
}

func TestSurname(t *testing.T) {
	n := newNormalizer()
	tests := map[string]string{
		"Smith":          "smith",
		"Smith Jr.":      "smith",
		"Smith, PhD":     "smith",
		"King III":       "king",
		"O'Neil":         "oneil",
		"van der Berg":   "vanderberg",
		"Smith-Jones":    "smithjones",
		"Müller":         "muller",
		"STRAßE":         "strasse",
		"  García Lopez": "garcialopez",
	}
	for in, want := range tests {
		if got := n.surname(in); got != want {
			t.Errorf("surname(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNicknames(t *testing.T) {
	nt := nicknames()
	tests := []struct {
		a, b string
		want bool
	}{
		{"bob", "robert", true},
		{"robert", "bobby", true},
		{"bob", "bobby", true},
		{"bill", "william", true},
		{"liz", "elizabeth", true},
		{"peggy", "margaret", true},
		{"john", "robert", false},
		{"william", "robert", false},
		// listed one way only ("gerald has_nickname jerry"), though jerry
		// lists more nicknames of its own (issue 10: Jerry and Gerald
		// were "different")
		{"jerry", "gerald", true},
		{"gerry", "gerald", true},
		{"gerald", "garrett", false},
		{"gerald", "jeremiah", false},
		{"bert", "herbert", true},
		{"william", "wilma", false}, // "wilma has_nickname william": a row to a longer name
		// the international table (issue 10: short forms outside English
		// were "different", -5.9 bits)
		{"fritz", "friedrich", true},
		{"wim", "willem", true},
		{"kasia", "katarzyna", true},
		{"lupe", "guadalupe", true},
		{"charo", "rosario", true},
		{"vicky", "vikram", true},
		{"terri", "theresa", true},
		{"andi", "andreas", true},
		{"friedrich", "frederick", false}, // both go by Fritz: two names
		{"katarzyna", "catherine", false}, // a translation, not a short form
	}
	for _, tt := range tests {
		ra, rb := nt.Roots(tt.a), nt.Roots(tt.b)
		if got := rootsIntersect(ra, rb); got != tt.want {
			t.Errorf("nickname(%q, %q) = %v, want %v (roots %v, %v)", tt.a, tt.b, got, tt.want, ra, rb)
		}
	}
	if len(nt.names) < 500 {
		t.Errorf("nickname table has %d names, want the full embedded table", len(nt.names))
	}
	// Every name of the tables is written as given names fold, or it
	// could never be looked up (but the English table's initials, "k.c.").
	n := newNormalizer()
	for _, name := range nt.names {
		if got, _ := n.givenName(name); got != name && !strings.Contains(name, ".") {
			t.Errorf("table name %q folds to %q", name, got)
		}
	}
}

func TestParseNicknamesErrors(t *testing.T) {
	for _, in := range []string{"", "a,b\n", "name1,relationship,name2\nbob,is,robert\n"} {
		if _, err := parseNicknames(in); err == nil {
			t.Errorf("parseNicknames(%q): want error", in)
		}
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ in, norm, work string }{
		{" John.Smith@Acme.COM ", "john.smith@acme.com", "acme.com"},
		{"mailto:a@b.co.uk", "a@b.co.uk", "b.co.uk"},
		{"jane@mail.acme.co.uk", "jane@mail.acme.co.uk", "acme.co.uk"},
		{"joe@gmail.com", "joe@gmail.com", ""},
		{"joe@yahoo.co.uk", "joe@yahoo.co.uk", ""},
		{"joe@hotmail.fr", "joe@hotmail.fr", ""},
		{"not an email", "", ""},
		{"a@@b.com", "", ""},
		{"a@b", "", ""},
		{"@b.com", "", ""},
		{"a..b@c.com", "", ""},
		{"a b@c.com", "", ""},
	}
	for _, tt := range tests {
		got := normEmail(tt.in)
		if got != tt.norm {
			t.Errorf("normEmail(%q) = %q, want %q", tt.in, got, tt.norm)
		}
		if w := newNormalizer().workDomain(got); w != tt.work {
			t.Errorf("workDomain(%q) = %q, want %q", got, w, tt.work)
		}
	}
}

func TestRegistrableDomain(t *testing.T) {
	tests := map[string]string{
		"https://www.acme.com/about":   "acme.com",
		"http://shop.acme.co.uk:8080/": "acme.co.uk",
		"acme.com":                     "acme.com",
		"WWW.Example.ORG.":             "example.org",
		"sub.example.github.io":        "example.github.io",
		"joe@eng.acme.de":              "acme.de",
		"localhost":                    "",
		"":                             "",
		"co.uk":                        "",
	}
	for in, want := range tests {
		if got := registrableDomain(in); got != want {
			t.Errorf("registrableDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhone(t *testing.T) {
	n := newNormalizer()
	tests := []struct {
		in, country string
		want        uint64
	}{
		{"(415) 555-2671", "United States", 14155552671},
		{"+1 415 555 2671 ext. 42", "", 14155552671},
		{"415.555.2671 x12", "US", 14155552671},
		{"020 7946 0958", "United Kingdom", 442079460958},
		{"+44 20 7946 0958", "Germany", 442079460958},
		{"030 1234567", "DE", 49301234567},
		{"0117 379 9567 ext 972", "UK", 441173799567},
		{"+33 (0)5 61 83 67 71", "", 33561836771},
		{"0172 5702411", "Federal Republic of Germany", 491725702411},
		{"0412 345 678", "AUS", 61412345678},
		{"12", "US", 0},
		{"not a phone", "US", 0},
		{"", "US", 0},
	}
	for _, tt := range tests {
		if got := n.phone(tt.in, n.regionOf(tt.country)); got != tt.want {
			t.Errorf("phone(%q, %q) = %d, want %d", tt.in, tt.country, got, tt.want)
		}
	}
}

func TestCompany(t *testing.T) {
	n := newNormalizer()
	tests := []struct{ in, name, acr string }{
		{"Acme, Inc.", "acme", ""},
		{"The Acme Corporation", "acme", ""},
		{"Johnson & Johnson", "johnson and johnson", "jj"},
		{"Johnson and Johnson LLC", "johnson and johnson", "jj"},
		{"Siemens AG", "siemens", ""},
		{"Nestlé S.A.", "nestle", ""},
		{"Foo Co., Ltd.", "foo", ""},
		{"I.B.M.", "ibm", ""},
		{"International Business Machines Corp", "international business machines", "ibm"},
		{"Smith & Co", "smith", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		name, acr := n.company(tt.in)
		if name != tt.name || acr != tt.acr {
			t.Errorf("company(%q) = %q, %q; want %q, %q", tt.in, name, acr, tt.name, tt.acr)
		}
	}
}

func TestTitle(t *testing.T) {
	n := newNormalizer()
	tests := []struct {
		in, norm string
		sen, fn  uint8
	}{
		{"Sr. VP, Sales", "senior vice president sales", senCLevel, fnSales},
		{"VP of Engineering", "vice president engineering", senCLevel, fnEngineering},
		{"Mktg Mgr", "marketing manager", senManager, fnMarketing},
		{"Director, Human Resources", "director hr", senDirector, fnHR},
		{"VP of People", "vice president hr", senCLevel, fnHR},
		{"CFO", "chief financial officer", senCLevel, fnFinance},
		{"Chief of Staff to the CEO", "chief staff", senCLevel, fnNone},
		{"Senior Ops Manager", "senior operation manager", senManager, fnOperations},
		{"", "", senNone, fnNone},
	}
	for _, tt := range tests {
		norm, sen, fn := n.title(tt.in)
		if norm != tt.norm || sen != tt.sen || fn != tt.fn {
			t.Errorf("title(%q) = %q, %d, %d; want %q, %d, %d", tt.in, norm, sen, fn, tt.norm, tt.sen, tt.fn)
		}
	}
}

func TestPlaceAndPostal(t *testing.T) {
	n := newNormalizer()
	if got := n.place("California", true); got != "ca" {
		t.Errorf("state California = %q", got)
	}
	if got := n.place("São Paulo", false); got != "sao paulo" {
		t.Errorf("city São Paulo = %q", got)
	}
	if got := n.street("123 North Main Street, Suite 5"); got != "123 n main st ste 5" {
		t.Errorf("street = %q", got)
	}
	for in, want := range map[string]string{"94105-1234": "94105", "sw1a 1aa": "SW1A1AA", " 10115 ": "10115"} {
		if got := postal(in); got != want {
			t.Errorf("postal(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFastPhoneAgreesWithPhonenumbers checks the fast path against the full
// phonenumbers parse on many shapes, regions and random numbers.
func TestFastPhoneAgreesWithPhonenumbers(t *testing.T) {
	n := newNormalizer()
	shapes := []func(cc, nat string) string{
		func(cc, nat string) string { return "+" + cc + " " + nat },
		func(cc, nat string) string { return "+" + cc + "-" + nat[:3] + "-" + nat[3:] },
		func(cc, nat string) string { return "+" + cc + nat + " ext. 12" },
		func(cc, nat string) string { return "+" + cc + " " + nat + " x7" },
		func(cc, nat string) string { return "0" + nat },
		func(cc, nat string) string { return "(" + nat[:3] + ") " + nat[3:6] + "-" + nat[6:] },
		func(cc, nat string) string { return nat[:3] + "." + nat[3:6] + "." + nat[6:] },
		func(cc, nat string) string { return "1 " + nat },
		func(cc, nat string) string { return nat + " #3" },
		func(cc, nat string) string { return "0" + nat[:4] + " " + nat[4:] },
		func(cc, nat string) string { return nat[:5] },
		func(cc, nat string) string { return "+" + cc + " (0)" + nat },
		func(cc, nat string) string { return "00" + cc + nat },
	}
	regions := map[string]string{"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "ES": "34", "IT": "39", "NL": "31", "AU": "61", "IN": "91", "JP": "81", "SE": "46", "CH": "41", "PL": "48", "SG": "65", "BR": "55", "MX": "52"}
	seed := uint64(1)
	next := func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 33 }
	checked, fast := 0, 0
	for region, cc := range regions {
		for range 120 {
			l := 7 + int(next()%5)
			nat := make([]byte, l)
			nat[0] = byte('2' + next()%8)
			for i := 1; i < l; i++ {
				nat[i] = byte('0' + next()%10)
			}
			for _, shape := range shapes {
				in := shape(cc, string(nat))
				want := n.slowPhone(in, region)
				var pn phonenumbers.PhoneNumber
				if phonenumbers.ParseToNumber(in, region, &pn) != nil || !phonenumbers.IsValidNumber(&pn) {
					continue // invalid numbers: both paths only need to be consistent
				}
				got, ok := n.fastPhone(in, region)
				checked++
				if !ok {
					continue
				}
				fast++
				if got != want {
					t.Errorf("phone(%q, %s): fast path %d, phonenumbers %d", in, region, got, want)
				}
			}
		}
	}
	if fast < checked/2 {
		t.Errorf("fast path took only %d of %d numbers", fast, checked)
	}
}

// phonenumbers.ParseToNumber does not clear the value it parses into: a
// number with two leading zeros left NumberOfLeadingZeros set, so the next
// Italian-style number the worker parsed got two zeros in its E.164 form,
// which then depended on the records the worker had seen before.
func TestSlowPhoneForgetsThePreviousNumber(t *testing.T) {
	inputs := []struct{ s, region string }{
		{"+44 20 7946 0958", "GB"},
		{"(415) 555-2671", "US"},
		{"030 1234567", "DE"},
		{"+39 06 6982 1234", "IT"},
	}
	for _, prev := range []struct{ s, region string }{
		{"+39 06 6982 1234", "IT"}, // Rome: Italian leading zero
		{"+39 0012 345678", "IT"},  // two leading zeros
		{"+1 415 555 2671 ext. 42", "US"},
	} {
		for _, in := range inputs {
			want := newNormalizer().slowPhone(in.s, in.region)
			n := newNormalizer()
			n.slowPhone(prev.s, prev.region)
			if got := n.slowPhone(in.s, in.region); got != want || want == 0 {
				t.Errorf("slowPhone(%q) after %q = %d, fresh %d", in.s, prev.s, got, want)
			}
		}
	}
}

// TestTitleVariants checks real wordings of one job that must agree, and
// titles that must stay different.
func TestTitleVariants(t *testing.T) {
	n := newNormalizer()
	cmp := func(a, b string) level {
		ta, tb := newTitleInfo(n.title(a)), newTitleInfo(n.title(b))
		return compareTitle(&ta, &tb)
	}
	same := []struct{ area, a, b string }{
		// Purchasing, procurement and sourcing are one function; partnerships and alliances are business development.
		{"function", "Head of Purchasing", "Head of Procurement"},
		{"function", "Sourcing Manager", "Procurement Manager"},
		{"function", "Purchasing Officer", "Procurement Officer"},
		{"function", "Director of Sourcing", "Procurement Director"},
		{"function", "Head of Alliances", "Head of Partnerships"},
		{"function", "VP, Alliances", "Vice President of Partnerships"},
		{"function", "Chief Executive Officer", "CEO"},
		{"function", "Chief Technology Officer", "CTO"},
		{"function", "Chief Operating Officer", "COO"},
		{"function", "Head of Cybersecurity", "Head of Information Security"},
		{"function", "Biz Dev Manager", "Business Development Manager"},
		// "X Lead" is "Head of X".
		{"seniority", "Global Product Lead", "Global Head of Product"},
		{"seniority", "Sales Lead", "Head of Sales"},
		{"seniority", "Engineering Lead", "Head, Engineering"},
		// Abbreviations.
		{"abbreviation", "CSM", "Customer Success Manager"},
		{"abbreviation", "Senior PM", "Senior Product Manager"},
		{"abbreviation", "SWE", "Software Engineer"},
		{"abbreviation", "EA", "Executive Assistant"},
		{"abbreviation", "CISO", "Chief Information Security Officer"},
		// Singular and plural.
		{"plural", "Solution Architect", "Solutions Architect"},
		{"plural", "Director of Partnership", "Director of Partnerships"},
		{"plural", "Head of Technologies", "Head of Technology"},
	}
	same = append(same, []struct{ area, a, b string }{
		// One function, several names.
		{"function", "VP of People", "VP of Human Resources"},
		{"function", "HR Coordinator", "Human Resources Coordinator"},
		{"function", "Client Success Manager", "Customer Success Manager"},
		{"function", "Director of Product Management", "Director of Product"},
		{"function", "Legal Affairs Manager", "Legal Manager"},
		{"function", "Head of Data & Analytics", "Head of Analytics"},
		{"function", "Supply Chain & Logistics Manager", "Supply Chain Manager"},
		{"function", "Senior IT Security Manager", "Senior Cybersecurity Manager"},
		{"function", "Controller", "Financial Controller"},
		{"function", "Software Developer", "Software Engineer"},
		{"abbreviation", "CIO", "Chief Information Officer"},
		{"abbreviation", "CMO", "Chief Marketing Officer"},
		{"abbreviation", "Senior Ops Manager", "Senior Operations Manager"},
		{"abbreviation", "Director of Ops", "Director of Operations"},
		{"seniority", "Global Partnerships Lead", "Global Head of Partnerships"},
		{"seniority", "Operations Lead", "Head of Operations"},
		{"qualifier", "Chief of Staff", "Chief of Staff to the CEO"},
		{"qualifier", "Chief Executive", "Chief Executive Officer"},
	}...)
	for _, tt := range same {
		if lv := cmp(tt.a, tt.b); lv != lvExact && lv != lvFuzzyStrong {
			t.Errorf("%s: %q vs %q = %v, want the same job (exact or fuzzy_strong)", tt.area, tt.a, tt.b, lv)
		}
	}
	exact := [][2]string{
		{"Solution Architect", "Solutions Architect"},
		{"CSM", "Customer Success Manager"},
		{"Sr. Solutions Architects", "Senior Solution Architect"},
	}
	for _, p := range exact {
		if lv := cmp(p[0], p[1]); lv != lvExact {
			t.Errorf("%q vs %q = %v, want exact", p[0], p[1], lv)
		}
	}
	different := [][2]string{
		{"Head of Sales", "Head of Legal"},
		{"Purchasing Manager", "Sales Manager"},
		{"Procurement Manager", "Marketing Manager"},
		{"Head of Partnerships", "Head of Procurement"},
		{"Sales Lead", "Sales Manager"},
		{"Lead Engineer", "Head of Engineering"},
		{"Head of Sourcing", "Head of Finance"},
		{"Customer Success Manager", "Product Manager"},
		{"Solutions Architect", "Software Engineer"},
		{"CEO", "CFO"},
	}
	for _, p := range different {
		if lv := cmp(p[0], p[1]); lv != lvDifferent && lv != lvSameFunction {
			t.Errorf("%q vs %q = %v, want another job (different or same_function)", p[0], p[1], lv)
		}
	}
	// The same words with another qualifier are another job of the same
	// function: a promotion, or a colleague's.
	for _, p := range [][2]string{
		{"Senior Sales Manager", "Sales Manager"},
		{"Associate Director, Sales", "Director of Sales"},
		{"VP of Supply Chain", "Senior Vice President, Supply Chain"},
		{"Senior Human Resources Manager", "Human Resources Manager"},
		{"Sales Manager", "Director of Sales"},
	} {
		if lv := cmp(p[0], p[1]); lv != lvFuzzyWeak && lv != lvSameFunction {
			t.Errorf("%q vs %q = %v, want fuzzy_weak or same_function", p[0], p[1], lv)
		}
	}
	// Words that only look plural stay as they are.
	for in, want := range map[string]string{"Sales": "sales", "Analytics": "analytics", "Business Analysis": "business analysis",
		"Customer Success": "customer success", "Solutions": "solution", "Strategies": "strategy", "Services": "service"} {
		if got, _, _ := n.title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
	// "Lead" before an individual role is senior, not head.
	if _, sen, _ := n.title("Lead Software Engineer"); sen != senSenior {
		t.Errorf("Lead Software Engineer seniority %d, want %d", sen, senSenior)
	}
}

func TestLabelIs(t *testing.T) {
	for _, c := range []struct {
		domain, name string
		want         bool
	}{
		{"acme.com", "acme", true},
		{"acme-robotics.co.uk", "acmerobotics", true},
		{"a-c-m-e.io", "acme", true},
		{"acme.com", "acm", false},
		{"acm.com", "acme", false},
		{"acmerobotics.com", "acme", false},
		{"acme", "acme", true},
		{"-acme-.com", "acme", true},
		{"acme.com", "", false},
		{"", "", true},
		{"élan.fr", "élan", true},
		{"elan.fr", "élan", false},
	} {
		if got := labelIs(c.domain, c.name); got != c.want {
			t.Errorf("labelIs(%q, %q) = %v, want %v", c.domain, c.name, got, c.want)
		}
	}
}

// Legal forms on both sides of an "&" are dropped: "GmbH & Co. KG" is one
// legal form (issue 9 fuzzing: the one before the "&" stayed).
func TestCompanyLegalFormsAroundAnd(t *testing.T) {
	n := newNormalizer()
	tests := []struct{ in, name, acr string }{
		{"Müller GmbH & Co. KG", "muller", ""},
		{"Müller GmbH", "muller", ""},
		{"Meyer GmbH & Co KG", "meyer", ""},
		{"Acme Ltd & Co", "acme", ""},
		{"Smith & Co", "smith", ""},
		{"Johnson & Johnson", "johnson and johnson", "jj"},
		{"Procter & Gamble Co.", "procter and gamble", "pg"},
	}
	for _, tt := range tests {
		name, acr := n.company(tt.in)
		if name != tt.name || acr != tt.acr {
			t.Errorf("company(%q) = %q, %q; want %q, %q", tt.in, name, acr, tt.name, tt.acr)
		}
	}
}

// Legal forms spelled out in words are dropped like their abbreviations, so
// a past employer listed as "Hawthorn Market" is the CRM's "Hawthorn Market
// Sociedad Anónima" exactly (issue 10: job changers whose past company kept
// "sociedad anonima" were only fuzzy_strong and stayed below the auto
// threshold); a form's last word alone is not one ("Acme Public").
func TestCompanyLegalPhrases(t *testing.T) {
	n := newNormalizer()
	tests := []struct{ in, name string }{
		{"Hawthorn Market Sociedad Anónima", "hawthorn market"},
		{"Coral Crest Consulting Sociedad Limitada", "coral crest consulting"},
		{"Greenfield Works Data Public Limited Company", "greenfield works data"},
		{"Birch Alliance Proprietary Limited", "birch alliance"},
		{"Xanea Beverages Private Limited", "xanea beverages"},
		{"Vogel Industries Aktiengesellschaft", "vogel industries"},
		{"Acme Limited Liability Company", "acme"},
		{"Blauw Besloten Vennootschap", "blauw"},
		{"Rossi Società per Azioni", "rossi"},
		{"Kowalski Sp. z o.o.", "kowalski"},
		{"Acme Public", "acme public"},
		{"Acme Private", "acme private"},
		{"Sociedad Anónima", "sociedad anonima"},
		{"Limited", "limited"},
	}
	for _, tt := range tests {
		if name, _ := n.company(tt.in); name != tt.name {
			t.Errorf("company(%q) = %q, want %q", tt.in, name, tt.name)
		}
	}
}

// A normalised company name normalises to itself (issue 9 fuzzing: only
// one leading "The" was dropped, so "The The Acme" gave "the acme", which
// gave "acme").
func TestCompanyIdempotent(t *testing.T) {
	n := newNormalizer()
	for _, in := range []string{"The The Acme", "The The The Acme Inc", "The Acme & Co", "Müller GmbH & Co. KG", "The Inc Inc"} {
		name, acr := n.company(in)
		name2, acr2 := n.company(name)
		if name2 != name || acr2 != acr {
			t.Errorf("company(%q) = %q, %q; of that: %q, %q", in, name, acr, name2, acr2)
		}
	}
	if name, _ := n.company("The The Acme"); name != "acme" {
		t.Errorf(`company("The The Acme") = %q, want "acme"`, name)
	}
}

// An acronym has at least two letters, counted as runes (issue 9 fuzzing:
// bytes were counted, so "刈 of" got the acronym "刈").
func TestCompanyAcronymCountsLetters(t *testing.T) {
	n := newNormalizer()
	tests := []struct{ in, name, acr string }{
		{"刈 of", "刈 of", ""},
		{"Ärzte for", "arzte for", ""},
		{"Øresund of", "oresund of", ""},
		{"刈 谷", "刈 谷", "刈谷"},
		{"Société Générale", "societe generale", "sg"},
	}
	for _, tt := range tests {
		name, acr := n.company(tt.in)
		if name != tt.name || acr != tt.acr {
			t.Errorf("company(%q) = %q, %q; want %q, %q", tt.in, name, acr, tt.name, tt.acr)
		}
	}
}

// An address with a control character (DEL, C0 or C1) or an invalid byte
// in its local part is not an address (issue 9 fuzzing: DEL was accepted,
// and invalid bytes all became U+FFFD, so different addresses normalised
// to one).
func TestEmailRejectsControlCharacters(t *testing.T) {
	tests := []struct{ in, norm string }{
		{"n\x7f@acme.com", ""},
		{"\x7fjoe@acme.com", ""},
		{"jo\u0085e@acme.com", ""},
		{"jo\u009fe@acme.com", ""},
		{"jo\te@acme.com", ""},
		{"jo\u00a0e@acme.com", ""},
		{"\xbb\xbbn@acme.com", ""},
		{"jo\ufffde@acme.com", ""},
		{"\xbb\xbb\xbb\xbb\xbb\xbb\xbbn\x7f@Oail.E", ""},
		{"josé@acme.com", "josé@acme.com"},
		{"O'Brien+crm@Acme.com", "o'brien+crm@acme.com"},
	}
	for _, tt := range tests {
		if got := normEmail(tt.in); got != tt.norm {
			t.Errorf("normEmail(%q) = %q, want %q", tt.in, got, tt.norm)
		}
	}
}

// Accent folding works on the valid part of a string with invalid bytes,
// which separate words as any other non-letter does (issue 9 fuzzing: one
// invalid byte turned the folding off for the whole name).
func TestFoldInvalidUTF8(t *testing.T) {
	n := newNormalizer()
	givens := []struct{ in, want string }{
		{"\x95\xf3\xf5ќ", "к"},
		{"José\xff", "jose"},
		{"\xffZoë", "zoe"},
	}
	for _, tt := range givens {
		if got, _ := n.foldGivenName(tt.in); got != tt.want {
			t.Errorf("givenName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	surnames := []struct{ in, want string }{
		{"Müller\xff", "muller"},
		{"Gar\xffcía", "garcia"},
	}
	for _, tt := range surnames {
		if got := n.foldSurname(tt.in); got != tt.want {
			t.Errorf("surname(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if name, _ := n.company("Nestlé\xff S.A."); name != "nestle" {
		t.Errorf(`company("Nestlé\xff S.A.") = %q, want "nestle"`, name)
	}
}

// An acronym is the firm exactly when the long name's own domain spells it
// (issue 10: job changers listing "FMD" for the CRM's "Federal Marine
// Dynamics Inc." at fmd.co were fuzzy_strong on past_company and stayed
// below the auto threshold); without the domain, or with another firm's,
// it stays fuzzy_strong.
func TestCompareCompanyAcronymDomain(t *testing.T) {
	n := newNormalizer()
	tests := []struct {
		a      string
		ad     []string
		b      string
		bd     []string
		want   level
		reason string
	}{
		{"FMD", nil, "Federal Marine Dynamics Inc.", []string{"", "fmd.co"}, lvExact, "the long name's address spells the acronym"},
		{"Federal Marine Dynamics Inc.", []string{"fmd.co", ""}, "FMD", nil, lvExact, "either side"},
		{"FMD", nil, "Federal Marine Dynamics Inc.", []string{"f-m-d.com"}, lvExact, "hyphens ignored"},
		{"FMD", nil, "Federal Marine Dynamics Inc.", nil, lvFuzzyStrong, "no domain"},
		{"FMD", nil, "Federal Marine Dynamics Inc.", []string{"federalmarine.com"}, lvFuzzyStrong, "a domain of the long name, not the acronym"},
		{"FMD", []string{"fmd.co"}, "Federal Marine Dynamics Inc.", nil, lvFuzzyStrong, "the acronym's own domain says nothing of the long name"},
		{"FMD", nil, "Fast Metal Design", []string{"acme.com"}, lvFuzzyStrong, "another firm's domain"},
	}
	for _, tt := range tests {
		got := compareCompany(n.companyName(tt.a), tt.ad, n.companyName(tt.b), tt.bd)
		if got != tt.want {
			t.Errorf("%s: compareCompany(%q %v, %q %v) = %v, want %v", tt.reason, tt.a, tt.ad, tt.b, tt.bd, got, tt.want)
		}
	}
}

// Names written with the digraphs for letters without their diacritic are
// one name (issue 10: "Doerte Guenther" against the CRM's "Dörte Günther"
// was fuzzy_weak twice and stayed below the auto threshold).
func TestTransliterated(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"doerte", "dorte", true},
		{"guenther", "gunther", true},
		{"jaeger", "jager", true},
		{"aase", "ase", true},
		{"mueller", "muller", true},
		{"michael", "michal", true},
		{"dorte", "doerte", true},
		{"muller", "miller", false},
		{"jager", "jagger", false},
		{"doerte", "dorothe", false},
		{"ue", "u", true},
		{"", "", true},
		{"e", "", false},
	}
	for _, tt := range tests {
		if got := transliterated(tt.a, tt.b); got != tt.want {
			t.Errorf("transliterated(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	n := newNormalizer()
	p := func(first, last string) *prepPerson {
		f, _ := n.givenName(first)
		return &prepPerson{first: f, last: n.surname(last)}
	}
	l, c := p("Doerte", "Guenther"), p("Dörte", "Günther")
	if g, s := compareGiven(l, c), compareSurname(l.last, c.last); g != lvFuzzyStrong || s != lvFuzzyStrong {
		t.Errorf("Doerte Guenther / Dörte Günther: given %v, surname %v; want fuzzy_strong both", g, s)
	}
}

// A generational suffix tells a parent from a child of the same name
// (issue 10, independent worlds: "Kenji Hayashi Sr." matched the CRM's
// Kenji Hayashi); other suffixes and a one-word field are not one.
func TestGeneration(t *testing.T) {
	tests := []struct {
		first, last string
		want        uint8
	}{
		{"Kenji", "Hayashi Sr.", 2},
		{"Andrew", "Mitchell III", 3},
		{"John", "Smith, Jr.", 1},
		{"John", "Smith II", 1},
		{"John Smith IV", "", 4},
		{"John", "Smith", 0},
		{"Olive", "Senior", 0},
		{"Ann", "Lee PhD", 0},
		{"Ann", "Lee-Junior", 0},
	}
	for _, tt := range tests {
		if got := generation(tt.first, tt.last); got != tt.want {
			t.Errorf("generation(%q, %q) = %d, want %d", tt.first, tt.last, got, tt.want)
		}
	}
}

func TestTitleScope(t *testing.T) {
	n := newNormalizer()
	cmp := func(a, b string) level {
		ta, tb := newTitleInfo(n.title(a)), newTitleInfo(n.title(b))
		return compareTitle(&ta, &tb)
	}
	// Where, for which market or on what terms the job is done is not
	// another job.
	for _, p := range [][2]string{
		{"Support Engineer - North America", "Support Engineer"},
		{"Buyer (Remote)", "Buyer"},
		{"Legal Counsel – North America", "Legal Counsel"},
		{"Sales Director, EMEA", "Sales Director"},
		{"Account Executive | DACH", "Account Executive"},
		{"Accountant (Part-time)", "Accountant"},
		{"Legal Counsel – US & Canada", "Legal Counsel"},
		{"Recruiter, Germany", "Recruiter"},
		{"Chief Procurement Officer (CPO)", "Chief Procurement Officer"},
		{"Vice President (VP) - Remote", "Vice President"},
		{"Data Engineer — Global / Remote", "Data Engineer"},
	} {
		if lv := cmp(p[0], p[1]); lv != lvExact {
			t.Errorf("%q vs %q = %v, want exact", p[0], p[1], lv)
		}
	}
	// A trailing part that names a function, or a two-letter word that may
	// be one, stays.
	for in, want := range map[string]string{
		"Manager, Engineering": "manager engineering",
		"Director - Sales":     "director sales",
		"Manager, IT":          "manager information technology",
		"Co-Founder":           "co founder",
		"Engineer (Platform)":  "engineer platform",
		"Director, Americas":   "director",
		"Head of Sales (EMEA)": "head sales",
	} {
		if got, _, _ := n.title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}

// A company name run together is the name ("BlueRidgeFoods" was
// fuzzy_weak against "Blue Ridge Foods Group LLC", and the pair "names
// only").
func TestCompareCompanyRunTogether(t *testing.T) {
	n := newNormalizer()
	tests := []struct {
		a, b string
		want level
	}{
		{"BlueRidgeFoods", "Blue Ridge Foods Group LLC", lvFuzzyStrong},
		{"LoneStar", "Lone Star Solutions", lvFuzzyStrong},
		{"MoselEnergie", "Mosel Energie International KG", lvFuzzyStrong},
		{"Lone Star", "LoneStar", lvFuzzyStrong},
		{"Blue Ridge Foods Group", "BlueRidgeFoods", lvFuzzyStrong},
		{"BlueRidge", "Blue Ridgeway Capital", lvFuzzyWeak}, // not at a word's end
		{"Acme", "Ac Me Holdings", lvDifferent},             // too short to say
		{"Northwind", "North Wind Traders", lvFuzzyStrong},  // one word against three
		{"Northwinds", "North Wind Traders", lvFuzzyWeak},   // another word
		{"Bluestone", "Blue Stone Capital", lvFuzzyStrong},
	}
	for _, tt := range tests {
		if got := compareCompany(n.companyName(tt.a), nil, n.companyName(tt.b), nil); got != tt.want {
			t.Errorf("compareCompany(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSpellsName(t *testing.T) {
	for _, tt := range []struct {
		local string
		want  bool
	}{
		{"alexandra.fletcher", true}, {"alexandraf", true}, {"afletcher", true}, {"fletchera", true},
		{"fletcher.alexandra", true}, {"alexandra_fletcher", true}, {"a.fletcher", true}, {"alexandra", true},
		{"fletcher", true}, {"alexandrafletcher", true},
		{"alexandra.fletcher2", false}, {"alexandra.m.fletcher", false}, {"alex.fletcher", false},
		{"afletcher3", false}, {"info", false}, {"sales", false}, {"", false},
	} {
		if got := spellsName(tt.local, "alexandra", "fletcher"); got != tt.want {
			t.Errorf("spellsName(%q) = %v, want %v", tt.local, got, tt.want)
		}
	}
	// names of one length: every initial pattern is still tried
	for _, local := range []string{"lauras", "lsmith", "smithl"} {
		if !spellsName(local, "laura", "smith") {
			t.Errorf("spellsName(%q, laura smith) = false, want true", local)
		}
	}
}
