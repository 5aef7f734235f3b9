package matcher

import (
	"slices"
	"strings"
	"unicode/utf8"
)

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

// legalSuffixes are company-form words dropped from the end of a company name.
var legalSuffixes = setOf(
	"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company", "plc",
	"gmbh", "ag", "kg", "mbh", "ug", "se", "sa", "sas", "sarl", "sl", "sau", "spa", "srl", "bv", "nv", "oy", "oyj", "ab", "as",
	"asa", "aps", "pty", "pte", "pvt", "kk", "kft", "zrt", "sro", "doo", "sp", "zoo", "ltda", "cv", "de", "sab", "lda", "pllc", "pc",
	"aktiengesellschaft", "limitada", "srls", "sagl", "ohg", "bhd", "sdn", "tbk", "jsc", "pjsc", "ooo", "oao", "zao",
)

// legalPhrases are company forms of several words, as registers and CRMs
// spell them out, dropped from the end of a name like legalSuffixes
// ("Hawthorn Market Sociedad Anónima" is "Hawthorn Market S.A."). Their
// last words alone are not all forms ("Acme Public" keeps "public").
var legalPhrases = [][]string{
	{"public", "limited", "company"}, {"private", "limited", "company"}, {"limited", "liability", "company"},
	{"limited", "liability", "partnership"}, {"limited", "partnership"}, {"private", "limited"}, {"proprietary", "limited"},
	{"proprietary", "company"}, {"sociedad", "anonima"}, {"sociedad", "limitada"}, {"sociedad", "de", "responsabilidad", "limitada"},
	{"societe", "anonyme"}, {"societe", "par", "actions", "simplifiee"}, {"societe", "a", "responsabilite", "limitee"},
	{"societa", "per", "azioni"}, {"societa", "a", "responsabilita", "limitata"}, {"besloten", "vennootschap"},
	{"naamloze", "vennootschap"}, {"gesellschaft", "mit", "beschrankter", "haftung"}, {"kabushiki", "kaisha"},
	{"sociedade", "anonima"}, {"sociedade", "limitada"}, {"sp", "z", "oo"},
}

// legalTail returns how many trailing tokens of toks are a legal form (0
// for none); at least one token always stays.
func legalTail(toks []string) int {
	n := len(toks)
	for _, ph := range legalPhrases { // first: "sociedad limitada" is one form
		if len(ph) < n && slices.Equal(toks[n-len(ph):], ph) {
			return len(ph)
		}
	}
	if n > 1 && has(legalSuffixes, toks[n-1]) {
		return 1
	}
	return 0
}

// company normalises a company name: folded, "&" as "and", dots dropped
// ("S.A." → "sa"), a leading "The" and trailing legal forms removed (those
// before an "&" too: "GmbH & Co. KG"). It also returns the acronym of a
// multi-word name ("international business machines" → "ibm") for acronym
// comparison, "" for one-word names.
func (n *normalizer) company(s string) (name, acronym string) {
	var arr [12]string
	toks := n.tokens(s, arr[:0])
	for len(toks) > 1 && toks[0] == "the" { // all of them: "The The Acme" → "acme", as "the acme" is
		toks = toks[1:]
	}
	// Trailing legal forms and a dangling "and" go, on both sides of the
	// "and": "Smith & Co" → "smith", "Müller GmbH & Co. KG" → "muller".
	for {
		if k := legalTail(toks); k > 0 {
			toks = toks[:len(toks)-k]
		} else if len(toks) > 1 && toks[len(toks)-1] == "and" {
			toks = toks[:len(toks)-1]
		} else {
			break
		}
	}
	if len(toks) == 0 {
		return "", ""
	}
	if len(toks) == 1 {
		return toks[0], ""
	}
	var acr []byte
	initials := 0 // in letters, not bytes: "刈 of" has one
	for _, t := range toks {
		if t == "and" || t == "of" || t == "for" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(t)
		acr = utf8.AppendRune(acr, r)
		initials++
	}
	if initials < 2 {
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
	"ceo": "chief executive officer", "cfo": "chief financial officer", "cto": "chief technology officer",
	"coo": "chief operating officer", "cmo": "chief marketing officer", "cio": "chief information officer",
	"cro": "chief revenue officer",
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
	"human": fnHR, "hr": fnHR, "people": fnHR, "talent": fnHR, "recruiting": fnHR, "recruiter": fnHR,
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

// title normalises a job title (folded, its scope and its acronym in
// brackets dropped (titleCore), abbreviations expanded, stop words
// dropped) and classifies its seniority and function.
func (n *normalizer) title(s string) (norm string, seniority, function uint8) {
	var arr [12]string
	toks := n.tokens(n.titleCore(s), arr[:0])
	if len(toks) == 0 {
		return "", senNone, fnNone
	}
	var outArr [16]string
	out := outArr[:0]
	for _, t := range toks {
		if t == "to" && len(out) > 0 {
			break // "Chief of Staff to the CEO", "Assistant to the CFO": the job is before
		}
		if t == "dev" && len(out) > 0 && out[len(out)-1] == "business" {
			out = append(out, "development") // "Biz Dev"
			continue
		}
		if e, ok := titleWords[t]; ok {
			for w := range strings.FieldsSeq(e) {
				out = append(out, singular(w))
			}
			continue
		}
		if has(titleStop, t) {
			continue
		}
		out = append(out, singular(t))
	}
	out = canonicalTitle(out)
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
		if t == "lead" && !ic {
			out[i], t = "head", "head"
		}
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

// titleSynonyms are words that name one function or job in several ways;
// the first form stands for all of them.
var titleSynonyms = map[string]string{
	"purchasing": "procurement", "sourcing": "procurement", "client": "customer", "alliance": "partnership",
	"developer": "engineer", "cybersecurity": "security", "people": "hr",
}

// titlePhrases are runs of words one canonical form replaces: "human
// resource" is "hr", "information security" and "IT security" are
// "security", "financial controller" is "controller"...
var titlePhrases = []struct{ from, to []string }{
	{[]string{"human", "resource"}, []string{"hr"}},
	{[]string{"information", "technology", "security"}, []string{"security"}},
	{[]string{"information", "security"}, []string{"security"}},
	{[]string{"data", "analytics"}, []string{"analytics"}},
	{[]string{"product", "management"}, []string{"product"}},
	{[]string{"supply", "chain", "logistics"}, []string{"supply", "chain"}},
	{[]string{"legal", "affairs"}, []string{"legal"}},
	{[]string{"financial", "controller"}, []string{"controller"}},
	{[]string{"finance", "controller"}, []string{"controller"}},
}

// canonicalTitle rewrites the words of a title to one form per function
// and job, in place.
func canonicalTitle(ws []string) []string {
	for i, w := range ws {
		if c, ok := titleSynonyms[w]; ok {
			ws[i] = c
		}
	}
	for _, p := range titlePhrases {
		for i := 0; i+len(p.from) <= len(ws); i++ {
			if !slices.Equal(ws[i:i+len(p.from)], p.from) {
				continue
			}
			rest := ws[i+len(p.from):]
			ws = append(append(ws[:i], p.to...), rest...)
		}
	}
	return ws
}

// titleModifiers qualify a job: two titles that differ in them are two
// jobs ("Senior Sales Manager" and "Sales Manager", "Associate Director"
// and "Director"), however many words they share.
var titleModifiers = map[string]uint16{
	"senior": 1 << 0, "junior": 1 << 1, "associate": 1 << 2, "assistant": 1 << 3, "principal": 1 << 4, "staff": 1 << 5,
	"deputy": 1 << 6, "interim": 1 << 7, "acting": 1 << 8, "global": 1 << 9, "regional": 1 << 10, "vice": 1 << 11,
	"executive": 1 << 12, "intern": 1 << 13, "trainee": 1 << 14,
}

// titleScope are words that say where, for which market or on what terms
// a job is done, not what the job is: "Support Engineer - North America",
// "Buyer (Remote)", "Sales Director, EMEA", "Legal Counsel – US & Canada".
var titleScope = setOf("north", "south", "east", "west", "central", "northern", "southern", "eastern", "western",
	"northeast", "northwest", "southeast", "southwest", "midwest", "america", "americas", "emea", "apac", "apj", "latam",
	"dach", "nordics", "nordic", "benelux", "iberia", "europe", "european", "asia", "pacific", "africa", "middle",
	"anz", "uk", "us", "usa", "united", "kingdom", "states", "global", "worldwide", "international", "regional",
	"region", "remote", "hybrid", "onsite", "contract", "contractor", "freelance", "interim", "temporary", "part",
	"full", "time", "parttime", "fulltime", "based", "and")

// titleSeparators set a title's scope apart from the job.
var titleSeparators = []string{" - ", " – ", " — ", " | ", ", ", " / "}

// titleCore returns a title without trailing parts that only say where or
// on what terms the job is done (titleScope words or a country: "Buyer -
// North America", "Accountant (Remote)", "Sales Director, Germany") and
// without the acronym of its own words in brackets ("Chief Procurement
// Officer (CPO)"), so a profile's qualified title reads as the CRM's
// plain one. Other trailing parts stay: "Manager, Engineering" keeps its
// function.
func (n *normalizer) titleCore(s string) string {
	for strings.ContainsAny(s, "-–—|,/(") {
		s = strings.TrimSpace(s)
		if strings.HasSuffix(s, ")") {
			if i := strings.LastIndexByte(s, '('); i > 0 {
				head, inner := s[:i], s[i+1:len(s)-1]
				if n.isTitleScope(inner) || n.isAcronymOf(inner, head) {
					s = head
					continue
				}
			}
			return s
		}
		cut := -1
		for _, sep := range titleSeparators {
			if i := strings.LastIndex(s, sep); i > 0 && n.isTitleScope(s[i+len(sep):]) && strings.TrimSpace(s[:i]) != "" {
				cut = max(cut, i)
			}
		}
		if cut < 0 {
			return s
		}
		s = s[:cut]
	}
	return s
}

// isTitleScope reports whether s is only titleScope words and country
// names (a country's full name, not a two-letter code: "IT" is a
// function).
func (n *normalizer) isTitleScope(s string) bool {
	var arr [8]string
	toks := n.tokens(s, arr[:0])
	words := 0
	for _, t := range toks {
		switch {
		case t == "and":
		case has(titleScope, t), len(t) > 3 && countryNames[t] != "":
			words++
		default:
			return false
		}
	}
	return words > 0
}

// isAcronymOf reports whether acr is the initials of head's words ("CPO",
// "Chief Procurement Officer"), stop words optional ("VP", "Vice
// President"; "CoS", "Chief of Staff").
func (n *normalizer) isAcronymOf(acr, head string) bool {
	var a, b [12]string
	at := n.tokens(acr, a[:0])
	if len(at) != 1 || len(at[0]) < 2 {
		return false
	}
	var all, content []byte
	for _, t := range n.tokens(head, b[:0]) {
		all = append(all, t[0])
		if !has(titleStop, t) {
			content = append(content, t[0])
		}
	}
	return at[0] == string(all) || at[0] == string(content)
}
