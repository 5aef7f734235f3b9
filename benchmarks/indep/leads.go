package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// leadRow is one row of the Sales Navigator export and its truth.
type leadRow struct {
	id, profile, first, last, email, phone string
	company, domain, title                 string
	pastCompanies, pastTitles              []string
	city, state, country, owner, list      string
	kind                                   string
	truth                                  []string // CRM ids of the same person; none when not in the org
	shadow                                 string   // hard negatives: the CRM record it resembles
}

// A case of the lead export, its share of the leads, whether the person
// is in the org and whether it is a hard negative.
type leadCase struct {
	name  string
	share float64
	inOrg bool
	hard  bool
}

// mix is the case mix: 64% people of the org, 36% not (half of them hard
// negatives, whose right answer is possible or none, never match).
var mix = []leadCase{
	{"exact", 0.06, true, false},
	{"nickname", 0.06, true, false},
	{"typo", 0.05, true, false},
	{"accent_dropped", 0.03, true, false},
	{"no_email", 0.06, true, false},
	{"other_email_pattern", 0.05, true, false},
	{"personal_email", 0.02, true, false},
	{"phone_other_format", 0.03, true, false},
	{"job_change", 0.07, true, false},
	{"promoted", 0.05, true, false},
	{"company_variant", 0.05, true, false},
	{"title_variant", 0.03, true, false},
	{"crm_duplicate", 0.03, true, false},
	{"converted_lead", 0.03, true, false},
	{"combined", 0.02, true, false},
	{"common_name_in_org", 0.00, true, false}, // share set from the hard negative below
	{"not_in_org", 0.18, false, false},
	{"hn_same_name_same_company", 0.04, false, true},
	{"hn_same_name_other_company_same_city", 0.03, false, true},
	{"hn_same_name_other_company_same_title", 0.03, false, true},
	{"hn_switchboard_colleague", 0.03, false, true},
	{"hn_relative", 0.03, false, true},
	{"hn_common_name", 0.02, false, true},
}

func init() {
	// Common names in the org are found too: as many as the namesakes,
	// taken from plain not_in_org.
	for i := range mix {
		switch mix[i].name {
		case "common_name_in_org":
			mix[i].share = 0.01
		case "not_in_org":
			mix[i].share -= 0.01
		}
	}
}

func caseOf(name string) leadCase {
	for _, c := range mix {
		if c.name == name {
			return c
		}
	}
	return leadCase{name: name}
}

const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randStr(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

var leadLists = []string{"Q3 Enterprise Targets", "DACH Expansion", "Champions - Renewal", "Webinar Follow-up",
	"APAC Pipeline", "Strategic Accounts", "Lost Deals 2025", "Inbound Intent"}

// linkedInCompany is how a profile names a firm: often without the legal
// form, sometimes with another spelling of it.
func (w *world) linkedInCompany(co *company) string {
	x := w.r.Float64()
	switch {
	case x < 0.5:
		return co.base
	case x < 0.85:
		return co.name
	}
	return legalVariant(w.r, co)
}

var legalSpellings = map[string][]string{
	"Inc.": {"Inc", "Incorporated", ", Inc."}, "Corp.": {"Corporation", "Corp"}, "Corporation": {"Corp.", "Corp"},
	"Ltd": {"Limited", "Ltd."}, "Limited": {"Ltd", "Ltd."}, "Ltd.": {"Limited", "Ltd"}, "LLC": {"L.L.C.", ", LLC"},
	"S.A.": {"SA"}, "S.L.": {"SL", "Sociedad Limitada"}, "B.V.": {"BV"}, "N.V.": {"NV"}, "S.p.A.": {"SpA", "S.P.A."},
	"S.r.l.": {"Srl", "SRL"}, "Pvt. Ltd.": {"Private Limited", "Pvt Ltd"}, "Private Limited": {"Pvt. Ltd.", "Pvt Ltd"},
	"Co., Ltd.": {"Co. Ltd.", "Co Ltd", "Company Limited"}, "Pty Ltd": {"Pty. Ltd.", "Pty Limited"},
	"GmbH & Co. KG": {"GmbH & Co KG", "GmbH"}, "S.A. de C.V.": {"SA de CV"}, "Ltda.": {"Ltda", "LTDA"},
	"plc": {"PLC", "Public Limited Company"}, "AG": {"Aktiengesellschaft"},
}

func legalVariant(r *rand.Rand, co *company) string {
	if alts, ok := legalSpellings[co.legal]; ok {
		a := pick(r, alts)
		if strings.HasPrefix(a, ",") {
			return co.base + a
		}
		return co.base + " " + a
	}
	return co.base
}

var wordTranslations = map[string]string{"Logistik": "Logistics", "Technik": "Technology", "Maschinenbau": "Engineering",
	"Systeme": "Systems", "Energie": "Energy", "Ingénierie": "Engineering", "Logistique": "Logistics", "Informatique": "IT",
	"Logística": "Logistics", "Tecnologías": "Technologies", "Ingeniería": "Engineering", "Tecnologie": "Technologies",
	"Sistemi": "Systems", "Groep": "Group", "Logistiek": "Logistics", "Technologies": "Tech", "Tecnologia": "Technology",
	"Consultoria": "Consulting", "Engenharia": "Engineering", "Pharmaceuticals": "Pharma", "International": "Intl"}

// companyVariant is a stronger variant of a firm's name: another wording
// of the same firm as people type it.
func (w *world) companyVariant(co *company) string {
	r := w.r
	words := strings.Fields(co.base)
	var opts []string
	if strings.Contains(co.base, " & ") {
		opts = append(opts, strings.Replace(co.base, " & ", " and ", 1))
	}
	if strings.Contains(co.base, " y ") {
		opts = append(opts, strings.Replace(co.base, " y ", " & ", 1))
	}
	if len(words) >= 3 {
		acr := ""
		for _, x := range words[:len(words)-1] {
			acr += strings.ToUpper(fold(x, false)[:1])
		}
		opts = append(opts, acr+" "+words[len(words)-1])
	}
	if len(words) >= 2 {
		opts = append(opts, strings.Join(words[:len(words)-1], ""), strings.Join(words[:len(words)-1], " "))
		for i, x := range words {
			if t, ok := wordTranslations[x]; ok {
				c := append([]string(nil), words...)
				c[i] = t
				opts = append(opts, strings.Join(c, " "))
			}
		}
	}
	if words[0] == "Groupe" || words[0] == "Grupo" {
		opts = append(opts, strings.Join(words[1:], " ")+" Group")
	}
	opts = append(opts, strings.ToUpper(fold(co.base, false)), "The "+co.base, co.base+" Group")
	for {
		v := pick(r, opts)
		if v != co.base && v != co.name {
			return v
		}
	}
}

func (w *world) titleVariant(p *person) string {
	r := w.r
	for range 8 {
		var t string
		if p.level == 0 {
			t = p.title + pick(r, []string{", EMEA", " (Remote)", " II", " - North America", ", Enterprise"})
		} else {
			t = w.levelTitle(p.fn, p.level, p.job, p.style+1+r.IntN(7))
		}
		if t != p.title {
			return t
		}
	}
	return p.title + ", EMEA"
}

// base is a clean lead of person p: its current job as the CRM has it.
func (w *world) base(p *person, kind string) *leadRow {
	r := w.r
	l := &leadRow{id: "ACwAA" + randStr(r, 34, b62+"-_"), first: p.first, last: p.last, kind: kind}
	if chance(r, 0.7) {
		l.profile = "https://www.linkedin.com/sales/lead/" + l.id + ",NAME_SEARCH," + randStr(r, 4, b62)
	} else {
		l.profile = fmt.Sprintf("https://www.linkedin.com/in/%s-%s-%s", localPart(p.first, false), localPart(p.last, false), strings.ToLower(randStr(r, 8, b62)))
	}
	l.company = w.linkedInCompany(p.co)
	switch x := r.Float64(); {
	case x < 0.55:
		l.domain = p.co.domain
	case x < 0.75:
		l.domain = p.co.website
	}
	l.title = p.title
	switch x := r.Float64(); {
	case x < 0.72:
		l.city = p.city.name
	case x < 0.82 && p.city.alt != "":
		l.city = p.city.alt
	case x < 0.88:
		l.city = "Greater " + fold(p.city.name, false) + " Area"
	}
	if l.city != "" && chance(r, 0.5) {
		l.state = p.city.state
	}
	if chance(r, 0.6) {
		l.country = p.co.c.names[0]
	} else {
		l.country = p.co.c.code
	}
	for range r.IntN(3) {
		ex := pick(r, w.external)
		l.pastCompanies = append(l.pastCompanies, w.linkedInCompany(ex))
		l.pastTitles = append(l.pastTitles, w.levelTitle(r.IntN(len(functions)), max(0, p.level-1-r.IntN(2)), r.IntN(20), r.IntN(20)))
	}
	l.owner = pick(r, w.users).email
	l.list = pick(r, leadLists)
	return l
}

// moveTo sets the lead's place to an office of co (when move) and its
// country to co's.
func (w *world) moveTo(l *leadRow, co *company, move bool) {
	if move {
		c := pick(w.r, co.offices)
		l.city, l.state = c.name, ""
		if chance(w.r, 0.5) {
			l.state = c.state
		}
	}
	l.country = co.c.names[0]
}

func (w *world) truthOf(p *person) []string {
	var ids []string
	for _, ri := range p.records {
		ids = append(ids, w.records[ri].id)
	}
	return ids
}

func (w *world) crmPhone(p *person) phone {
	if p.direct.ok() {
		return p.direct
	}
	return p.mobile
}

// otherFormat is a format of p's country other than i.
func otherFormat(r *rand.Rand, c *country, i int) int {
	n := len(c.phoneFmt)
	return (i + 1 + r.IntN(n-1)) % n
}

func (w *world) personalEmail(first, last string) string {
	r := w.r
	dom := pick(r, []string{"gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "web.de", "orange.fr", "gmx.de", "proton.me"})
	f, l := localPart(first, false), localPart(last, false)
	local := pick(r, []string{f + "." + l, f + l, f[:1] + l, f + "." + l + fmt.Sprint(70+r.IntN(30)), l + "." + f})
	return local + "@" + dom
}

// ownEmail is an address at co for a namesake: the firm's pattern with a
// number or a middle initial, never one the org already has.
func (w *world) ownEmail(first, last string, co *company) string {
	r := w.r
	pat := co.pattern
	local := emailLocal(pat, first, last, co.german)
	var e string
	switch r.IntN(3) {
	case 0:
		e = fmt.Sprintf("%s%d@%s", local, 2+r.IntN(3), co.domain)
	case 1:
		mid := string(rune('a' + r.IntN(26)))
		f, l := localPart(first, co.german), localPart(last, co.german)
		e = f + "." + mid + "." + l + "@" + co.domain
		if pat == 1 {
			e = f[:1] + mid + l + "@" + co.domain
		}
	default:
		e = emailLocal((pat+1+r.IntN(len(emailPatterns)-1))%len(emailPatterns), first, last, co.german) + "@" + co.domain
	}
	for i := 2; w.emails[e]; i++ {
		at := strings.IndexByte(e, '@')
		e = fmt.Sprintf("%s%d%s", e[:at], i, e[at:])
	}
	return e
}

// pools of people of the org by what a case needs, each in random order.
type pools struct {
	used  []bool
	order []int
	pos   map[string]int
}

func (w *world) take(ps *pools, name string, ok func(p *person) bool) (int, bool) {
	for i := ps.pos[name]; i < len(ps.order); i++ {
		pi := ps.order[i]
		if !ps.used[pi] && ok(w.people[pi]) {
			ps.used[pi] = true
			ps.pos[name] = i + 1
			return pi, true
		}
	}
	return 0, false
}

func (w *world) hasRecord(p *person, pred func(*record) bool) bool {
	for _, ri := range p.records {
		if pred(w.records[ri]) {
			return true
		}
	}
	return false
}

func (w *world) firstRecord(p *person) *record { return w.records[p.records[0]] }

// makeLeads generates the Sales Navigator export.
func (w *world) makeLeads(n int) {
	r := w.r
	ps := &pools{used: make([]bool, len(w.people)), order: r.Perm(len(w.people)), pos: map[string]int{}}
	counts := make([]int, len(mix))
	total := 0
	for i, c := range mix {
		counts[i] = int(math.Round(c.share * float64(n)))
		total += counts[i]
	}
	for i := range mix { // rounding goes to not_in_org
		if mix[i].name == "not_in_org" {
			counts[i] += n - total
		}
	}
	atAccount := func(p *person) bool { return p.co.id != "" && !p.common }
	plain := func(p *person) bool { return !p.common }
	contactAt := func(p *person) bool {
		return atAccount(p) && w.hasRecord(p, func(rc *record) bool { return rc.object == "Contact" && !rc.duplicate }) && len(p.records) == 1
	}
	for ci, c := range mix {
		for range counts[ci] {
			l := w.makeLead(ps, c.name, atAccount, plain, contactAt)
			if l == nil {
				l = w.notInOrg("not_in_org")
			}
			w.leads = append(w.leads, l)
		}
	}
	r.Shuffle(len(w.leads), func(i, j int) { w.leads[i], w.leads[j] = w.leads[j], w.leads[i] })
}

func (w *world) makeLead(ps *pools, kind string, atAccount, plain, contactAt func(*person) bool) *leadRow {
	r := w.r
	takeP := func(ok func(*person) bool) *person {
		pi, found := w.take(ps, kind, ok)
		if !found {
			return nil
		}
		return w.people[pi]
	}
	inOrg := func(ok func(*person) bool, f func(p *person, l *leadRow)) *leadRow {
		p := takeP(ok)
		if p == nil {
			return nil
		}
		l := w.base(p, kind)
		l.truth = w.truthOf(p)
		f(p, l)
		return l
	}
	emailSome := func(p *person, l *leadRow, prob float64) {
		if chance(r, prob) {
			l.email = p.email
		}
	}
	single := func(p *person) bool { return plain(p) && len(p.records) == 1 }
	switch kind {
	case "exact":
		return inOrg(single, func(p *person, l *leadRow) {
			l.email, l.company, l.domain, l.city = p.email, p.co.name, p.co.domain, p.city.name
		})
	case "nickname":
		return inOrg(func(p *person) bool { return single(p) && len(p.nicks) > 0 }, func(p *person, l *leadRow) {
			l.first = pick(r, p.nicks)
			emailSome(p, l, 0.35)
		})
	case "typo":
		return inOrg(single, func(p *person, l *leadRow) {
			if chance(r, 0.6) {
				l.last = typo(r, p.last)
			} else {
				l.first = typo(r, p.first)
			}
			emailSome(p, l, 0.35)
		})
	case "accent_dropped":
		return inOrg(func(p *person) bool { return single(p) && hasAccent(p.first+p.last) }, func(p *person, l *leadRow) {
			g := origins[p.orig].name == "german" && chance(r, 0.5)
			l.first, l.last = fold(p.first, g), fold(p.last, g)
			emailSome(p, l, 0.35)
		})
	case "no_email":
		return inOrg(single, func(p *person, l *leadRow) {
			if chance(r, 0.3) && w.crmPhone(p).ok() {
				l.phone = w.crmPhone(p).format(p.phoneFmt)
			}
		})
	case "other_email_pattern":
		return inOrg(func(p *person) bool { return single(p) && p.co.id != "" }, func(p *person, l *leadRow) {
			pat := (p.co.pattern + 1 + r.IntN(len(emailPatterns)-1)) % len(emailPatterns)
			l.email = emailLocal(pat, p.first, p.last, p.co.german) + "@" + p.co.domain
			if l.email == p.email || w.emails[l.email] {
				l.email = emailLocal(0, p.first, p.last, !p.co.german) + "." + "1@" + p.co.domain
			}
		})
	case "personal_email":
		return inOrg(single, func(p *person, l *leadRow) { l.email = w.personalEmail(p.first, p.last) })
	case "phone_other_format":
		return inOrg(func(p *person) bool { return single(p) && w.crmPhone(p).ok() }, func(p *person, l *leadRow) {
			l.phone = w.crmPhone(p).format(otherFormat(r, p.co.c, p.phoneFmt))
		})
	case "job_change":
		return inOrg(func(p *person) bool { return single(p) && atAccount(p) }, func(p *person, l *leadRow) {
			var nc *company
			if chance(r, 0.5) {
				nc = pick(r, w.accounts)
			} else {
				nc = pick(r, w.external)
			}
			for nc == p.co {
				nc = pick(r, w.external)
			}
			l.company = w.linkedInCompany(nc)
			l.domain = ""
			if chance(r, 0.6) {
				l.domain = nc.domain
			}
			nl := min(5, p.level+r.IntN(2))
			fn := p.fn
			if chance(r, 0.3) {
				fn = r.IntN(len(functions))
			}
			l.title = w.levelTitle(fn, nl, r.IntN(20), r.IntN(20))
			w.moveTo(l, nc, chance(r, 0.6) || nc.c != p.co.c)
			oldTitle := p.title
			if chance(r, 0.3) {
				oldTitle = w.titleVariant(p)
			}
			l.pastCompanies = append([]string{w.linkedInCompany(p.co)}, l.pastCompanies...)
			l.pastTitles = append([]string{oldTitle}, l.pastTitles...)
			if chance(r, 0.4) {
				np := *p
				l.email = w.workEmail(&np, nc, nc.pattern)
			}
		})
	case "promoted":
		return inOrg(func(p *person) bool { return single(p) && atAccount(p) && p.level < 5 }, func(p *person, l *leadRow) {
			style := p.style
			if chance(r, 0.5) {
				style = r.IntN(20)
			}
			l.title = w.levelTitle(p.fn, p.level+1, p.job, style)
			if chance(r, 0.5) {
				l.pastCompanies = append([]string{l.company}, l.pastCompanies...)
				l.pastTitles = append([]string{p.title}, l.pastTitles...)
			}
			emailSome(p, l, 0.4)
		})
	case "company_variant":
		return inOrg(func(p *person) bool { return single(p) && p.co.id != "" }, func(p *person, l *leadRow) {
			l.company = w.companyVariant(p.co)
			emailSome(p, l, 0.3)
		})
	case "title_variant":
		return inOrg(single, func(p *person, l *leadRow) {
			l.title = w.titleVariant(p)
			emailSome(p, l, 0.3)
		})
	case "crm_duplicate":
		return inOrg(func(p *person) bool {
			return plain(p) && w.hasRecord(p, func(rc *record) bool { return rc.duplicate })
		}, func(p *person, l *leadRow) {
			if len(p.nicks) > 0 && chance(r, 0.3) {
				l.first = pick(r, p.nicks)
			}
			emailSome(p, l, 0.5)
		})
	case "converted_lead":
		return inOrg(func(p *person) bool {
			return plain(p) && w.hasRecord(p, func(rc *record) bool { return rc.converted })
		}, func(p *person, l *leadRow) { emailSome(p, l, 0.5) })
	case "combined":
		return inOrg(func(p *person) bool { return single(p) && p.co.id != "" }, func(p *person, l *leadRow) {
			if len(p.nicks) > 0 && chance(r, 0.6) {
				l.first = pick(r, p.nicks)
			} else {
				l.last = typo(r, p.last)
			}
			l.company = w.companyVariant(p.co)
			l.title = w.titleVariant(p)
			if chance(r, 0.5) && w.crmPhone(p).ok() {
				l.phone = w.crmPhone(p).format(otherFormat(r, p.co.c, p.phoneFmt))
			}
		})
	case "common_name_in_org":
		return inOrg(func(p *person) bool { return p.common && len(p.records) == 1 }, func(p *person, l *leadRow) {
			l.city = p.city.name
			emailSome(p, l, 0.4)
		})
	case "not_in_org":
		return w.notInOrg(kind)
	}
	// Hard negatives: a new person shaped after a CRM person x.
	hard := func(ok func(*person) bool, f func(x *person, l *leadRow)) *leadRow {
		x := takeP(ok)
		if x == nil {
			return nil
		}
		l := w.base(x, kind)
		l.email, l.phone = "", ""
		l.pastCompanies, l.pastTitles = nil, nil
		l.shadow = w.firstRecord(x).id
		if l.profile != "" && strings.Contains(l.profile, "/in/") {
			l.profile += "2"
		}
		f(x, l)
		return l
	}
	// otherFn is a function none of x's namesakes at x's firm works in, so
	// the lead's title is another job than any CRM record of that name
	// there has (else nothing could tell them apart).
	otherFn := func(x *person) int {
		taken := map[int]bool{x.fn: true}
		key := w.nameKey(x.first, x.last)
		for _, pi := range x.co.people {
			if q := w.people[pi]; w.nameKey(q.first, q.last) == key {
				taken[q.fn] = true
			}
		}
		for _, fn := range r.Perm(len(functions)) {
			if !taken[fn] {
				return fn
			}
		}
		return (x.fn + 1) % len(functions)
	}
	switch kind {
	case "hn_same_name_same_company":
		return hard(contactAt, func(x *person, l *leadRow) {
			l.title = w.levelTitle(otherFn(x), pickLevel(r), r.IntN(20), r.IntN(20))
			if chance(r, 0.5) {
				l.email = w.ownEmail(x.first, x.last, x.co)
			}
			if !chance(r, 0.6) {
				l.city = pick(r, x.co.offices).name
			}
		})
	case "hn_same_name_other_company_same_city", "hn_same_name_other_company_same_title":
		return hard(contactAt, func(x *person, l *leadRow) {
			var nc *company
			for range 50 {
				if chance(r, 0.5) {
					nc = pick(r, w.accounts)
				} else {
					nc = pick(r, w.external)
				}
				if nc != x.co && nc.c == x.co.c {
					break
				}
			}
			if nc == x.co {
				nc = pick(r, w.external)
			}
			l.company = w.linkedInCompany(nc)
			l.domain = ""
			if chance(r, 0.5) {
				l.domain = nc.domain
			}
			if kind == "hn_same_name_other_company_same_city" {
				l.city, l.state, l.country = x.city.name, x.city.state, x.co.c.names[0]
				l.title = w.levelTitle(otherFn(x), pickLevel(r), r.IntN(20), r.IntN(20))
			} else {
				l.title = x.title
				w.moveTo(l, nc, true)
			}
			if chance(r, 0.4) {
				np := *x
				l.email = w.workEmail(&np, nc, nc.pattern)
			}
		})
	case "hn_switchboard_colleague":
		x := takeP(func(p *person) bool {
			return p.co.shared && w.hasRecord(p, func(rc *record) bool { return rc.phone == p.co.phone.format(p.phoneFmt) })
		})
		if x == nil {
			return nil
		}
		first, nicks, last := w.freshName(originNamed(pickWeighted(r, x.co.c.origins)), chance(r, 0.45))
		if chance(r, 0.4) && !w.names[w.nameKey(x.first, last)] {
			first, nicks = x.first, x.nicks
		}
		_ = nicks
		np := &person{first: first, last: last, co: x.co, fn: x.fn, level: x.level, style: x.style, city: x.city, title: x.title}
		if chance(r, 0.5) {
			np.fn = r.IntN(len(functions))
			np.title = w.levelTitle(np.fn, pickLevel(r), r.IntN(20), r.IntN(20))
		}
		l := w.base(np, kind)
		l.shadow = w.firstRecord(x).id
		l.phone = x.co.phone.format(r.IntN(len(x.co.c.phoneFmt)))
		if chance(r, 0.3) {
			l.email = w.ownEmail(first, last, x.co)
		}
		return l
	case "hn_relative":
		return hard(contactAt, func(x *person, l *leadRow) {
			if x.female || chance(r, 0.55) {
				for i := range 60 {
					oi := x.orig
					if i >= 20 {
						oi = r.IntN(len(origins))
					}
					f, _, _ := w.newName(oi, chance(r, 0.5))
					if !w.names[w.nameKey(f, x.last)] {
						l.first = f
						break
					}
				}
			}
			if l.first == x.first {
				l.last = x.last + " " + pick(r, []string{"Jr.", "Jr", "II", "III", "Sr."})
			}
			l.title = w.levelTitle(otherFn(x), max(0, x.level-2), r.IntN(20), r.IntN(20))
			if chance(r, 0.5) {
				l.email = w.ownEmail(l.first, strings.ReplaceAll(l.last, ".", ""), x.co)
			}
			if chance(r, 0.3) {
				l.phone = x.co.phone.format(r.IntN(len(x.co.c.phoneFmt)))
			}
			l.city = x.city.name
		})
	case "hn_common_name":
		return hard(func(p *person) bool { return p.common && len(p.records) == 1 }, func(x *person, l *leadRow) {
			l.title = w.levelTitle(otherFn(x), pickLevel(r), r.IntN(20), r.IntN(20))
			if chance(r, 0.6) {
				w.moveTo(l, x.co, true)
			}
			if chance(r, 0.4) {
				l.email = w.ownEmail(x.first, x.last, x.co)
			}
		})
	}
	return nil
}

// notInOrg is a person the org does not have: at one of its Accounts
// (another name than anyone there), at a firm the org knows as Leads only,
// or at a new firm.
func (w *world) notInOrg(kind string) *leadRow {
	r := w.r
	var co *company
	switch x := r.Float64(); {
	case x < 0.4:
		co = pick(r, w.accounts)
	case x < 0.7:
		co = pick(r, w.external)
	default:
		co = w.newCompany(w.pickCountry(), false)
	}
	p := w.newPerson(co, true)
	l := w.base(p, kind)
	if chance(r, 0.4) {
		l.email = w.workEmail(p, co, co.pattern)
	}
	if chance(r, 0.15) && p.direct.ok() {
		l.phone = p.direct.format(r.IntN(len(co.c.phoneFmt)))
	}
	return l
}
