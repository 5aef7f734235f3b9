package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/navsync/navsync/internal/sfid"
)

// phone is a number: its country, area code and subscriber digits.
type phone struct {
	c    *country
	area string
	sub  string
}

func (p phone) ok() bool { return p.c != nil }

// format writes p in the country's format i (modulo their number).
func (p phone) format(i int) string {
	if !p.ok() {
		return ""
	}
	f := p.c.phoneFmt[i%len(p.c.phoneFmt)]
	return f(p.c.cc, p.c.trunk, p.area, p.sub)
}

// company is a firm: an Account of the org (id set) or one the org does
// not hold.
type company struct {
	id        string
	name      string // the legal name, as the CRM has it
	base      string // without the legal form
	legal     string
	domain    string
	website   string
	c         *country
	hq        *city
	offices   []*city
	phone     phone // switchboard
	employees int
	industry  string
	pattern   int  // email pattern
	german    bool // ä → ae in addresses
	large     bool
	shared    bool // several Contacts carry the switchboard as their Phone
	people    []int
	street    string
	postal    string
}

// person is one human being of the world.
type person struct {
	first, last string
	nicks       []string
	orig        int
	female      bool
	co          *company
	fn, level   int
	job, style  int
	title       string
	email       string
	direct      phone
	mobile      phone
	city        *city
	records     []int
	common      bool // planted common name at a large employer
	phoneFmt    int  // the format the CRM writes their numbers in
}

// record is a CRM Contact or Lead.
type record struct {
	id, object               string
	p                        int
	first, last, email       string
	phone, mobile            string
	company, accountID       string
	title, website           string
	street, city, state      string
	postal, country          string
	converted                bool
	convContact, convAccount string
	owner                    string
	duplicate                bool
}

type user struct{ id, email, username string }

type opportunity struct{ id, name, accountID, stage, close string }

// world is an org and the people in it.
type world struct {
	r        *rand.Rand
	accounts []*company
	external []*company
	people   []*person
	records  []*record
	users    []user
	opps     []opportunity
	leads    []*leadRow
	names    map[string]bool // folded "first last" of every CRM person, and canonical forms
	emails   map[string]bool
	domains  map[string]bool
	cnames   map[string]bool
	seq      map[string]uint64
	canon    map[string]string // nickname → full given name
}

func (w *world) newID(prefix string) string {
	w.seq[prefix]++
	return sfid.New(prefix, "7X", w.seq[prefix]+1000)
}

var industries = []string{"Technology", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Energy",
	"Logistics", "Consulting", "Insurance", "Pharmaceuticals", "Media", "Construction", "Telecommunications", "Education"}

func (w *world) pickCountry() *country {
	code := pickWeighted(w.r, countryWeight)
	for i := range countries {
		if countries[i].code == code {
			return &countries[i]
		}
	}
	return &countries[0]
}

// newCompany invents a firm with a unique name and domain.
func (w *world) newCompany(c *country, large bool) *company {
	r := w.r
	for try := 0; ; try++ {
		pat := pick(r, c.pattern)
		if try >= 10 { // the country's names run out: two stems, or a family name and a word
			pat = pick(r, []string{"S S W", "F S W", "F W W", "S F"})
		}
		var parts []string
		for _, tok := range strings.Fields(pat) {
			switch tok {
			case "S":
				parts = append(parts, pick(r, c.stems))
			case "W":
				parts = append(parts, pick(r, c.words))
			case "SW":
				parts = append(parts, pick(r, c.stems)+strings.ToLower(pick(r, c.words)))
			case "F":
				o := origins[originNamed(pickWeighted(r, c.origins))]
				f := pick(r, o.family)
				if f != "" && f[0] >= 'a' && f[0] <= 'z' {
					f = strings.ToUpper(f[:1]) + f[1:]
				}
				parts = append(parts, f)
			case "C":
				parts = append(parts, fold(pick(r, c.cities).name, false))
			default:
				parts = append(parts, tok)
			}
		}
		base := strings.Join(parts, " ")
		if large {
			if suf := pick(r, []string{" International", " Group", " Global", "", " Holdings"}); !strings.HasSuffix(base, suf) {
				base += suf
			}
		}
		legal := ""
		if chance(r, 0.88) {
			legal = pick(r, c.legal)
		}
		name := base
		if legal != "" {
			sep := " "
			if strings.HasPrefix(legal, "Inc") && chance(r, 0.3) || legal == "Co., Ltd." && c.code != "CN" && chance(r, 0.2) {
				sep = ", "
			}
			name = base + sep + legal
		}
		key := strings.ToLower(fold(base, false))
		if w.cnames[key] {
			continue
		}
		// The domain: the first word or two, or an acronym; made unique.
		words := strings.Fields(localWords(base))
		var slug string
		switch {
		case len(words) >= 3 && chance(r, 0.25):
			for _, x := range words {
				slug += x[:1]
			}
		case len(words) >= 2 && chance(r, 0.6):
			slug = words[0] + words[1]
		case len(words) >= 2 && chance(r, 0.3):
			slug = words[0] + "-" + words[1]
		default:
			slug = words[0]
		}
		tld := c.tld
		if chance(r, 0.25) && c.tld != "com" {
			tld = "com"
		}
		domain := slug + "." + tld
		for i := 2; w.domains[domain]; i++ {
			domain = fmt.Sprintf("%s%s.%s", slug, pick(r, []string{"group", "corp", "hq", "global", "-" + strings.ToLower(c.code), fmt.Sprint(i)}), tld)
		}
		w.cnames[key] = true
		w.domains[domain] = true
		web := pick(r, []string{"https://www.", "http://www.", "www.", "https://", "https://www."}) + domain + pick(r, []string{"", "", "/", "/en"})
		co := &company{name: name, base: base, legal: legal, domain: domain, website: web, c: c,
			pattern: pickPattern(r), german: c.code == "DE" && chance(r, 0.6), large: large,
			industry: pick(r, industries), street: fmt.Sprintf("%d %s", 1+r.IntN(400), pick(r, c.streets))}
		co.hq = &c.cities[r.IntN(len(c.cities))]
		co.offices = []*city{co.hq}
		if large {
			for _, i := range r.Perm(len(c.cities))[:min(len(c.cities), 3+r.IntN(3))] {
				if &c.cities[i] != co.hq {
					co.offices = append(co.offices, &c.cities[i])
				}
			}
			co.employees = 10000 + r.IntN(200000)
		} else {
			co.employees = []int{12, 45, 80, 150, 320, 700, 1500, 4200}[r.IntN(8)] + r.IntN(10)
		}
		co.phone = phone{c, co.hq.area, digits(r, co.hq.sub)}
		co.postal = c.post(r)
		return co
	}
}

// localWords is a name's words folded to lower-case letters and digits.
func localWords(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if x := localPart(f, false); x != "" && x != "y" && x != "and" && x != "de" {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return "firm"
	}
	return strings.Join(out, " ")
}

func (w *world) nameKey(first, last string) string {
	f := strings.ToLower(fold(first, false))
	if c, ok := w.canon[f]; ok {
		f = c
	}
	return f + " " + strings.ToLower(fold(last, false))
}

// newName draws a name of an origin.
func (w *world) newName(oi int, female bool) (first string, nicks []string, last string) {
	o := &origins[oi]
	list := o.male
	if female {
		list = o.female
	}
	first, nicks = givenName(pick(w.r, list))
	last = pick(w.r, o.family)
	if female && o.femaleFamily != nil {
		last = o.femaleFamily(last)
	}
	return first, nicks, last
}

// freshName draws a name nobody in the org has (nicknames counted).
// In a large org the names of one origin run out: it then tries other
// origins, and at last double family names.
func (w *world) freshName(oi int, female bool) (string, []string, string) {
	for i := 0; ; i++ {
		if i >= 20 {
			oi = w.r.IntN(len(origins))
		}
		f, n, l := w.newName(oi, female)
		if i >= 60 {
			_, _, l2 := w.newName(w.r.IntN(len(origins)), female)
			if l2 != l {
				l += "-" + l2
			}
		}
		if !w.names[w.nameKey(f, l)] {
			return f, n, l
		}
	}
}

// levelTitle is the title of a job: function fn, level, job (which
// individual-contributor role, or which executive title) and style (the
// wording of the same job: "Sr." or "Senior", "VP" or "Vice President").
func (w *world) levelTitle(fn, level, job, style int) string {
	f := functions[fn]
	short := f.name
	if s, ok := functionShort[f.name]; ok {
		short = s
	}
	switch level {
	case 0:
		return f.ic[job%len(f.ic)]
	case 1:
		return []string{"Senior ", "Sr. ", "Senior ", "Sr "}[style%4] + f.ic[job%len(f.ic)]
	case 2:
		return []string{f.name + " Manager", "Manager, " + f.name, short + " Manager", "Manager " + f.name}[style%4]
	case 3:
		return []string{"Director of " + f.name, f.name + " Director", "Director, " + f.name, "Director " + f.name}[style%4]
	case 4:
		return []string{"VP of " + f.name, "Vice President, " + f.name, "VP " + short, "Vice President of " + f.name}[style%4]
	}
	if job%5 == 4 {
		g := generalTitles[(job/5)%len(generalTitles)]
		return []string{g, g, strings.ReplaceAll(g, "&", "and")}[style%3]
	}
	return f.chief[style%len(f.chief)]
}

func pickLevel(r *rand.Rand) int {
	x := r.IntN(100)
	for l, cum := range []int{35, 55, 75, 88, 95, 100} {
		if x < cum {
			return l
		}
	}
	return 0
}

// addEmail gives p an address at co's domain by the firm's pattern (a
// digit added when taken).
func (w *world) workEmail(p *person, co *company, pattern int) string {
	local := emailLocal(pattern, p.first, p.last, co.german)
	e := local + "@" + co.domain
	for i := 2; w.emails[e]; i++ {
		e = fmt.Sprintf("%s%d@%s", local, i, co.domain)
	}
	return e
}

// newPerson creates a person at co (not yet in the org).
func (w *world) newPerson(co *company, fresh bool) *person {
	r := w.r
	oi := originNamed(pickWeighted(r, co.c.origins))
	female := chance(r, 0.45)
	p := &person{orig: oi, female: female, co: co}
	if fresh {
		p.first, p.nicks, p.last = w.freshName(oi, female)
	} else {
		p.first, p.nicks, p.last = w.newName(oi, female)
	}
	p.fn, p.level, p.job, p.style = r.IntN(len(functions)), pickLevel(r), r.IntN(20), r.IntN(20)
	p.title = w.levelTitle(p.fn, p.level, p.job, p.style)
	p.city = pick(r, co.offices)
	p.phoneFmt = r.IntN(len(co.c.phoneFmt))
	if chance(r, 0.55) {
		p.direct = phone{co.c, p.city.area, digits(r, p.city.sub)}
	}
	if chance(r, 0.3) {
		if len(co.c.mobile) > 0 {
			p.mobile = phone{co.c, pick(r, co.c.mobile), digits(r, co.c.mobSub)}
		} else {
			p.mobile = phone{co.c, p.city.area, digits(r, p.city.sub)}
		}
	}
	return p
}

// build generates the org: Accounts, people, their Contacts and Leads,
// Users and Opportunities.
func build(seed uint64, leads int) *world {
	w := &world{r: rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+7)), names: map[string]bool{}, emails: map[string]bool{},
		domains: map[string]bool{}, cnames: map[string]bool{}, seq: map[string]uint64{}, canon: map[string]string{}}
	for _, o := range origins {
		for _, e := range append(append([]string(nil), o.male...), o.female...) {
			n, nicks := givenName(e)
			for _, k := range nicks {
				w.canon[strings.ToLower(fold(k, false))] = strings.ToLower(fold(n, false))
			}
		}
	}
	r := w.r
	nAcc := max(40, leads/8)
	nLarge := 3 + leads/2500
	for i := range nAcc {
		co := w.newCompany(w.pickCountry(), i < nLarge)
		co.id = w.newID(sfid.Account)
		co.shared = !co.large && chance(r, 0.25)
		w.accounts = append(w.accounts, co)
	}
	for range max(40, leads/5) {
		w.external = append(w.external, w.newCompany(w.pickCountry(), false))
	}
	for range 20 + leads/400 {
		f, _, l := w.newName(0, chance(r, 0.5))
		e := localPart(f, false) + "." + localPart(l, false) + "@northbeam-sales.com"
		if w.emails[e] {
			continue
		}
		w.emails[e] = true
		w.users = append(w.users, user{w.newID(sfid.User), e, e + ".prod"})
	}

	// People: a quarter at the large employers, most at the other Accounts
	// (a long tail), a fifth at firms that are only Leads.
	nPeople := leads * 8 / 5
	small := w.accounts[nLarge:]
	weights := make([]float64, len(small))
	total := 0.0
	for i := range small {
		weights[i] = 1 / math.Pow(float64(i+1), 0.7)
		total += weights[i]
	}
	pickSmall := func() *company {
		x := r.Float64() * total
		for i, wt := range weights {
			if x < wt {
				return small[i]
			}
			x -= wt
		}
		return small[len(small)-1]
	}
	for range nPeople {
		var co *company
		switch x := r.Float64(); {
		case x < 0.25:
			co = w.accounts[r.IntN(nLarge)]
		case x < 0.8:
			co = pickSmall()
		default:
			co = pick(r, w.external)
		}
		w.addPerson(w.newPerson(co, false))
	}
	// Common names at the large employers: several people of the same
	// name at one firm.
	perLarge := (leads*4/100)/nLarge + 4
	for _, co := range w.accounts[:nLarge] {
		for range perLarge {
			cn := pick(r, commonNames)
			p := w.newPerson(co, false)
			p.first, p.last, p.nicks, p.common = cn[0], cn[1], nil, true
			for _, o := range origins {
				for _, e := range append(append([]string(nil), o.male...), o.female...) {
					if n, nicks := givenName(e); n == cn[0] {
						p.nicks = nicks
					}
				}
			}
			w.addPerson(p)
		}
	}
	for _, co := range w.accounts {
		for range r.IntN(3) {
			w.opps = append(w.opps, opportunity{w.newID(sfid.Opportunity), co.base + " - " + pick(r, []string{"Renewal", "Expansion", "New Business", "Pilot"}),
				co.id, pick(r, []string{"Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review"}),
				fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28))})
		}
	}
	return w
}

// crmCountry is how the CRM writes a country.
func (w *world) crmCountry(c *country) string {
	if chance(w.r, 0.7) {
		return c.names[0]
	}
	return pick(w.r, c.names)
}

// addPerson puts p in the org with one or more records.
func (w *world) addPerson(p *person) {
	r := w.r
	pi := len(w.people)
	w.people = append(w.people, p)
	p.co.people = append(p.co.people, pi)
	w.names[w.nameKey(p.first, p.last)] = true
	p.email = w.workEmail(p, p.co, p.co.pattern)
	if chance(r, 0.06) { // someone who chose another form at the firm
		p.email = w.workEmail(p, p.co, pickPattern(r))
	}
	w.emails[p.email] = true
	owner := pick(r, w.users).id
	ph := func() (string, string) {
		var a, b string
		switch {
		case p.co.shared && p.co.id != "" && chance(r, 0.6):
			a = p.co.phone.format(p.phoneFmt)
		case p.direct.ok():
			a = p.direct.format(p.phoneFmt)
		}
		if p.mobile.ok() {
			b = p.mobile.format(p.phoneFmt)
		}
		return a, b
	}
	contact := func() *record {
		a, b := ph()
		email := p.email
		if chance(r, 0.03) {
			email = ""
		}
		rec := &record{id: w.newID(sfid.Contact), object: "Contact", p: pi, first: p.first, last: p.last, email: email,
			phone: a, mobile: b, company: p.co.name, accountID: p.co.id, title: p.title, city: p.city.name,
			state: p.city.state, country: w.crmCountry(p.co.c), owner: owner}
		if chance(r, 0.05) {
			rec.title = ""
		}
		return rec
	}
	lead := func() *record {
		a, b := ph()
		comp := p.co.name
		if chance(r, 0.4) {
			comp = p.co.base
		}
		rec := &record{id: w.newID(sfid.Lead), object: "Lead", p: pi, first: p.first, last: p.last, email: p.email,
			phone: a, mobile: b, company: comp, title: p.title, city: p.city.name, state: p.city.state,
			country: w.crmCountry(p.co.c), owner: owner, street: p.co.street, postal: p.co.postal}
		if chance(r, 0.5) {
			rec.website = p.co.website
		}
		if chance(r, 0.15) {
			rec.email = ""
		}
		return rec
	}
	add := func(rec *record) {
		p.records = append(p.records, len(w.records))
		w.records = append(w.records, rec)
	}
	if p.co.id == "" {
		add(lead())
		return
	}
	x := r.Float64()
	switch {
	case x < 0.80:
		add(contact())
	case x < 0.90:
		add(lead())
	default: // converted: the Lead as it was (often an older title) and its Contact
		c := contact()
		l := lead()
		l.converted, l.convContact, l.convAccount = true, c.id, p.co.id
		if chance(r, 0.4) && p.level > 0 {
			l.title = w.levelTitle(p.fn, p.level-1, p.job, p.style)
		}
		add(l)
		add(c)
	}
	if chance(r, 0.07) { // a duplicate, entered again by someone else
		var d *record
		if chance(r, 0.6) {
			d = contact()
		} else {
			d = lead()
		}
		switch r.IntN(4) {
		case 0:
			if len(p.nicks) > 0 {
				d.first = pick(r, p.nicks)
			}
		case 1:
			d.email = ""
		case 2:
			d.title = ""
			d.phone = ""
		case 3:
			d.first = strings.ToUpper(d.first)
			d.last = strings.ToUpper(d.last)
		}
		d.duplicate = true
		add(d)
	}
}
