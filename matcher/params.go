package matcher

import (
	"fmt"
	"math"
	"slices"
)

// level is a comparison outcome for one field.
type level uint8

const (
	lvMissing level = iota
	lvExact
	lvNickname
	lvSwapped
	lvFuzzyStrong
	lvFuzzyWeak
	lvInitial
	lvDifferent
	// lvSameDomain: two work addresses at one domain, other mailboxes.
	lvSameDomain
	// lvPersonalWork: a free-mail address against a work address.
	lvPersonalWork
	// lvSameFunction: titles of one function at other seniorities (a
	// promotion looks like this).
	lvSameFunction
	// lvAlias: two work addresses at one domain that both spell the
	// person's name, in two patterns and without a digit or middle
	// initial (alexandra.fletcher@, alexandraf@): a person's alias as
	// often as a namesake's mailbox.
	lvAlias
	numLevels
)

var levelNames = [numLevels]string{"missing", "exact", "nickname", "swapped", "fuzzy_strong", "fuzzy_weak", "initial", "different",
	"same_domain", "personal_work", "same_function", "alias"}

func (l level) String() string { return levelNames[l] }

// Lead field indexes, in LeadFields order.
const (
	fEmail = iota
	fPhone
	fFirst
	fLast
	fCompany
	fTitle
	fPastCompany
	fPastTitle
	numLeadFields
)

// Company field indexes, in CompanyFields order.
const (
	cName = iota
	cDomain
	cWebsite
	cPhone
	cPostal
	cStreet
	cState
	cCity
	cEmployees
	cIndustry
	numCompanyFields
)

// leadLevels and companyLevels are the levels each field can take, besides
// "missing" (which always weighs 0).
var leadLevels = [numLeadFields][]level{
	fEmail:       {lvExact, lvFuzzyStrong, lvSameDomain, lvAlias, lvPersonalWork, lvDifferent},
	fPhone:       {lvExact, lvFuzzyWeak, lvDifferent},
	fFirst:       {lvExact, lvNickname, lvSwapped, lvFuzzyStrong, lvFuzzyWeak, lvInitial, lvDifferent},
	fLast:        {lvExact, lvSwapped, lvFuzzyStrong, lvFuzzyWeak, lvDifferent},
	fCompany:     {lvExact, lvFuzzyStrong, lvFuzzyWeak, lvDifferent},
	fTitle:       {lvExact, lvFuzzyStrong, lvFuzzyWeak, lvSameFunction, lvDifferent},
	fPastCompany: {lvExact, lvFuzzyStrong, lvDifferent},
	fPastTitle:   {lvExact, lvFuzzyStrong, lvFuzzyWeak, lvDifferent},
}

var companyLevels = [numCompanyFields][]level{
	cName:      {lvExact, lvFuzzyStrong, lvFuzzyWeak, lvDifferent},
	cDomain:    {lvExact, lvDifferent},
	cWebsite:   {lvExact, lvFuzzyWeak, lvDifferent},
	cPhone:     {lvExact, lvFuzzyWeak, lvDifferent},
	cPostal:    {lvExact, lvFuzzyWeak, lvDifferent},
	cStreet:    {lvExact, lvFuzzyStrong, lvFuzzyWeak, lvDifferent},
	cState:     {lvExact, lvDifferent},
	cCity:      {lvExact, lvFuzzyStrong, lvDifferent},
	cEmployees: {lvExact, lvFuzzyWeak, lvDifferent},
	cIndustry:  {lvExact, lvFuzzyWeak, lvDifferent},
}

// Params are the Fellegi–Sunter parameters: for each compared field and
// level, m = P(level | same entity) and u = P(level | different entities),
// both over pairs where the field is present on both sides. A level's
// weight is log2(m/u). Params are plain data, JSON-serialisable, so a
// trained set can be saved, reviewed and passed back in Options.Params.
type Params struct {
	// LeadMatchRate is the prior probability that a Sales Navigator lead
	// has its person in the CRM; the prior odds of a pair are
	// LeadMatchRate / (number of CRM people).
	LeadMatchRate float64 `json:"lead_match_rate"`
	// CompanyMatchRate is the same for companies against CRM Accounts.
	CompanyMatchRate float64 `json:"company_match_rate"`
	// RunnerUpMargin is how many bits (log2 Bayes factor) the best candidate
	// must lead the runner-up by to be a match rather than ambiguous.
	RunnerUpMargin float64 `json:"runner_up_margin"`
	// TFMinimum bounds the term frequency used for exact name and company
	// agreement from below, so a name seen once in a small org is not taken
	// as unique in the world.
	TFMinimum float64 `json:"tf_minimum"`
	// TFMaxBoost caps how many bits term frequency may add to, or take
	// from, a field's exact-level weight.
	TFMaxBoost float64 `json:"tf_max_boost"`
	// Lead holds the lead fields in LeadFields order.
	Lead []FieldParams `json:"lead"`
	// Company holds the company fields in CompanyFields order.
	Company []FieldParams `json:"company"`
	// Contexts holds, per comparison context, the m/u of the lead fields
	// whose evidence depends on it (ContextFields: email, phone,
	// current_title, past_title): "same_company" for pairs whose current company
	// agrees (exact or fuzzy_strong), where colleagues share a domain and
	// a switchboard and a different title or mailbox is what tells two
	// people apart; "job_change" for pairs whose CRM company is one of the
	// lead's past companies and not its current one, where a new address,
	// number and title are expected. Other pairs use Lead. Nil (a file of
	// an earlier version) takes the defaults.
	Contexts []ContextParams `json:"contexts,omitempty"`
	// JobChangeLeft is the probability that the same person's current
	// company differs from the CRM record's when the person's history
	// lists the CRM record's company (they left it: LinkedIn lists a
	// firm someone still works at as current). The current company's
	// "different" level weighs log2(JobChangeLeft / u) in the job_change
	// context instead of its general weight, whose m (how often a lead's
	// company differs at all) would count the job change twice beside the
	// past company's agreement. Zero (a file of an earlier version) takes
	// the default; Train keeps it.
	JobChangeLeft float64 `json:"job_change_left,omitempty"`
}

// defaultJobChangeLeft is Params.JobChangeLeft's default.
const defaultJobChangeLeft = 0.95

// ContextParams are the m/u of ContextFields in one comparison context.
type ContextParams struct {
	Context string        `json:"context"`
	Fields  []FieldParams `json:"fields"` // ContextFields, in order
}

// Comparison contexts of a lead pair.
const (
	ctxGeneral = iota
	ctxSameCompany
	ctxJobChange
	numContexts
)

// ContextNames are the comparison contexts with their own parameters, in
// Params.Contexts order.
var ContextNames = []string{"same_company", "job_change"}

// ContextFields are the lead fields with parameters per context.
var ContextFields = []string{"email", "phone", "current_title", "past_title"}

var contextFields = [...]int{fEmail, fPhone, fTitle, fPastTitle}

// contextOf is the comparison context of a pair with levels lv.
func contextOf(lv *[numLeadFields]level) int {
	switch {
	case lv[fCompany] == lvExact || lv[fCompany] == lvFuzzyStrong:
		return ctxSameCompany
	case lv[fPastCompany] == lvExact || lv[fPastCompany] == lvFuzzyStrong:
		return ctxJobChange
	}
	return ctxGeneral
}

// FieldParams are the m/u values of one field.
type FieldParams struct {
	Field string `json:"field"`
	// TermFrequency: the exact level's u is replaced by the frequency of
	// the agreeing value among CRM records ("smith" weighs less than
	// "kowalczyk").
	TermFrequency bool          `json:"term_frequency,omitempty"`
	Levels        []LevelParams `json:"levels"`
}

// LevelParams are m and u of one comparison level.
type LevelParams struct {
	Level string  `json:"level"`
	M     float64 `json:"m"`
	U     float64 `json:"u"`
}

type mu struct{ m, u float64 }

// DefaultParams returns the shipped parameters. They were set from the
// rates in generated worlds and the reasoning in docs/readme-matcher.md;
// Train re-estimates them on an org's own data.
func DefaultParams() *Params {
	lead := [numLeadFields]map[level]mu{
		fEmail:       {lvExact: {0.88, 1e-6}, lvFuzzyStrong: {0.04, 1e-5}, lvSameDomain: {0.01, 1e-4}, lvAlias: {0.01, 1e-4}, lvPersonalWork: {0.04, 0.3}, lvDifferent: {0.03, 0.6999}},
		fPhone:       {lvExact: {0.85, 1e-6}, lvFuzzyWeak: {0.03, 1e-4}, lvDifferent: {0.12, 0.9999}},
		fFirst:       {lvExact: {0.80, 0.006}, lvNickname: {0.08, 0.003}, lvSwapped: {0.01, 0.0002}, lvFuzzyStrong: {0.06, 0.004}, lvFuzzyWeak: {0.02, 0.01}, lvInitial: {0.015, 0.06}, lvDifferent: {0.015, 0.9168}},
		fLast:        {lvExact: {0.87, 0.001}, lvSwapped: {0.01, 0.0002}, lvFuzzyStrong: {0.08, 0.002}, lvFuzzyWeak: {0.02, 0.01}, lvDifferent: {0.02, 0.9868}},
		fCompany:     {lvExact: {0.72, 0.002}, lvFuzzyStrong: {0.06, 0.002}, lvFuzzyWeak: {0.04, 0.01}, lvDifferent: {0.18, 0.986}},
		fTitle:       {lvExact: {0.50, 0.02}, lvFuzzyStrong: {0.12, 0.03}, lvFuzzyWeak: {0.13, 0.08}, lvSameFunction: {0.05, 0.08}, lvDifferent: {0.20, 0.79}},
		fPastCompany: {lvExact: {0.15, 0.004}, lvFuzzyStrong: {0.02, 0.002}, lvDifferent: {0.83, 0.994}},
		fPastTitle:   {lvExact: {0.10, 0.02}, lvFuzzyStrong: {0.05, 0.03}, lvFuzzyWeak: {0.10, 0.08}, lvDifferent: {0.75, 0.87}},
	}
	company := [numCompanyFields]map[level]mu{
		cName:      {lvExact: {0.80, 1e-7}, lvFuzzyStrong: {0.10, 1e-5}, lvFuzzyWeak: {0.05, 0.002}, lvDifferent: {0.05, 0.99799}},
		cDomain:    {lvExact: {0.92, 1e-5}, lvDifferent: {0.08, 0.99999}},
		cWebsite:   {lvExact: {0.85, 1e-5}, lvFuzzyWeak: {0.08, 1e-4}, lvDifferent: {0.07, 0.99989}},
		cPhone:     {lvExact: {0.75, 1e-5}, lvFuzzyWeak: {0.05, 1e-4}, lvDifferent: {0.20, 0.99989}},
		cPostal:    {lvExact: {0.75, 0.002}, lvFuzzyWeak: {0.05, 0.02}, lvDifferent: {0.20, 0.978}},
		cStreet:    {lvExact: {0.60, 1e-4}, lvFuzzyStrong: {0.15, 5e-4}, lvFuzzyWeak: {0.05, 0.01}, lvDifferent: {0.20, 0.9894}},
		cState:     {lvExact: {0.85, 0.05}, lvDifferent: {0.15, 0.95}},
		cCity:      {lvExact: {0.80, 0.01}, lvFuzzyStrong: {0.05, 0.005}, lvDifferent: {0.15, 0.985}},
		cEmployees: {lvExact: {0.70, 0.15}, lvFuzzyWeak: {0.20, 0.30}, lvDifferent: {0.10, 0.55}},
		cIndustry:  {lvExact: {0.70, 0.06}, lvFuzzyWeak: {0.10, 0.10}, lvDifferent: {0.20, 0.84}},
	}
	// Per context (ContextNames order), the ContextFields. Same company: a
	// colleague shares the domain (u of same_domain near 1) and often the
	// function, rarely the exact title; the same person has another
	// mailbox only as an alias and another title after a promotion; past
	// titles as in general. Job change: a new address, number and title
	// are the rule, and the title the CRM holds is most often the one the
	// lead lists at that company (m of past_title exact 0.55, where in
	// general, most leads having stayed, it is 0.10).
	pastTitle := lead[fPastTitle]
	contexts := [numContexts - 1][len(contextFields)]map[level]mu{
		{
			{lvExact: {0.80, 1e-5}, lvFuzzyStrong: {0.03, 1e-4}, lvSameDomain: {0.05, 0.85}, lvAlias: {0.03, 0.06}, lvPersonalWork: {0.10, 0.10}, lvDifferent: {0.02, 0.04989}},
			{lvExact: {0.85, 1e-4}, lvFuzzyWeak: {0.03, 0.01}, lvDifferent: {0.12, 0.9899}},
			{lvExact: {0.60, 0.04}, lvFuzzyStrong: {0.15, 0.04}, lvFuzzyWeak: {0.05, 0.08}, lvSameFunction: {0.08, 0.10}, lvDifferent: {0.12, 0.74}},
			pastTitle,
		},
		{
			{lvExact: {0.40, 1e-6}, lvFuzzyStrong: {0.02, 1e-5}, lvSameDomain: {0.01, 0.01}, lvAlias: {0.01, 0.01}, lvPersonalWork: {0.17, 0.30}, lvDifferent: {0.40, 0.68999}},
			{lvExact: {0.50, 1e-6}, lvFuzzyWeak: {0.02, 1e-4}, lvDifferent: {0.48, 0.9999}},
			{lvExact: {0.15, 0.02}, lvFuzzyStrong: {0.10, 0.03}, lvFuzzyWeak: {0.15, 0.08}, lvSameFunction: {0.15, 0.08}, lvDifferent: {0.45, 0.79}},
			{lvExact: {0.55, 0.03}, lvFuzzyStrong: {0.15, 0.04}, lvFuzzyWeak: {0.10, 0.08}, lvDifferent: {0.20, 0.85}},
		},
	}
	p := &Params{
		JobChangeLeft:    defaultJobChangeLeft,
		LeadMatchRate:    0.8,
		CompanyMatchRate: 0.8,
		RunnerUpMargin:   3,
		TFMinimum:        1e-5,
		TFMaxBoost:       6,
	}
	for f := range numLeadFields {
		fp := FieldParams{Field: LeadFields[f], TermFrequency: f == fFirst || f == fLast || f == fCompany || f == fPastCompany}
		for _, l := range leadLevels[f] {
			v := lead[f][l]
			fp.Levels = append(fp.Levels, LevelParams{Level: l.String(), M: v.m, U: v.u})
		}
		p.Lead = append(p.Lead, fp)
	}
	for f := range numCompanyFields {
		fp := FieldParams{Field: CompanyFields[f]}
		for _, l := range companyLevels[f] {
			v := company[f][l]
			fp.Levels = append(fp.Levels, LevelParams{Level: l.String(), M: v.m, U: v.u})
		}
		p.Company = append(p.Company, fp)
	}
	for k, name := range ContextNames {
		cp := ContextParams{Context: name}
		for j, f := range contextFields {
			fp := FieldParams{Field: LeadFields[f]}
			for _, l := range leadLevels[f] {
				v := contexts[k][j][l]
				fp.Levels = append(fp.Levels, LevelParams{Level: l.String(), M: v.m, U: v.u})
			}
			cp.Fields = append(cp.Fields, fp)
		}
		p.Contexts = append(p.Contexts, cp)
	}
	return p
}

// addedLevels are levels this version added to fields that had others
// before; a parameter file without them takes their defaults.
var addedLevels = map[string][]string{
	"email":         {lvSameDomain.String(), lvPersonalWork.String(), lvAlias.String()},
	"current_title": {lvSameFunction.String()},
}

// upgraded returns p as this version reads it: levels added since the
// file was written (addedLevels), context fields added since (past_title)
// and missing contexts take their default m and u. p itself is not
// changed.
func (p *Params) upgraded() *Params {
	def := DefaultParams()
	q := *p
	q.Lead = withAddedLevels(p.Lead, def.Lead)
	if q.Contexts == nil {
		q.Contexts = def.Contexts
	} else {
		q.Contexts = slices.Clone(q.Contexts)
		for k := range q.Contexts {
			if k >= len(def.Contexts) || q.Contexts[k].Context != def.Contexts[k].Context {
				continue // compile says what is wrong
			}
			fs := withAddedLevels(q.Contexts[k].Fields, def.Contexts[k].Fields)
			for _, d := range def.Contexts[k].Fields[min(len(fs), len(def.Contexts[k].Fields)):] {
				if !slices.ContainsFunc(fs, func(f FieldParams) bool { return f.Field == d.Field }) {
					fs = append(fs, d) // in ContextFields order
				}
			}
			q.Contexts[k].Fields = fs
		}
	}
	if q.JobChangeLeft == 0 {
		q.JobChangeLeft = def.JobChangeLeft
	}
	return &q
}

// withAddedLevels returns a copy of fields where each field lacking a
// level of addedLevels takes the level's m and u from the same field in
// defaults.
func withAddedLevels(fields, defaults []FieldParams) []FieldParams {
	out := cloneFields(fields)
	for i := range out {
		for _, name := range addedLevels[out[i].Field] {
			if slices.ContainsFunc(out[i].Levels, func(lp LevelParams) bool { return lp.Level == name }) {
				continue
			}
			for _, d := range defaults {
				if d.Field != out[i].Field {
					continue
				}
				for _, lp := range d.Levels {
					if lp.Level == name {
						out[i].Levels = append(out[i].Levels, lp)
					}
				}
			}
		}
	}
	return out
}

// compiled are Params turned into weight tables.
type compiled struct {
	lead   [numLeadFields][numLevels]float64
	leadM  [numLeadFields][numLevels]float64
	leadTF [numLeadFields]bool
	// ctx[k] are the lead weights in comparison context k: lead with the
	// ContextFields of that context (ctx[ctxGeneral] is lead).
	ctx       [numContexts][numLeadFields][numLevels]float64
	ctxM      [numContexts][numLeadFields][numLevels]float64
	company   [numCompanyFields][numLevels]float64
	companyM  [numCompanyFields][numLevels]float64
	companyTF [numCompanyFields]bool
	p         Params
}

func levelByName(name string) (level, bool) {
	for i, n := range levelNames {
		if n == name {
			return level(i), true
		}
	}
	return 0, false
}

// Validate checks that every field and level is present once with m and u
// in (0, 1] and the rates in range.
func (p *Params) Validate() error {
	_, err := p.compile()
	return err
}

func (p *Params) compile() (*compiled, error) {
	if p == nil {
		return nil, fmt.Errorf("params: nil")
	}
	p = p.upgraded()
	c := &compiled{p: *p}
	if !(p.LeadMatchRate > 0 && p.LeadMatchRate <= 1) || !(p.CompanyMatchRate > 0 && p.CompanyMatchRate <= 1) {
		return nil, fmt.Errorf("params: match rates must be in (0,1], got lead %v, company %v", p.LeadMatchRate, p.CompanyMatchRate)
	}
	if p.RunnerUpMargin < 0 || p.TFMinimum <= 0 || p.TFMinimum > 1 || p.TFMaxBoost < 0 {
		return nil, fmt.Errorf("params: need runner_up_margin >= 0, tf_minimum in (0,1], tf_max_boost >= 0")
	}
	if err := compileFields("lead", p.Lead, LeadFields, leadLevels[:], c.lead[:], c.leadM[:], c.leadTF[:]); err != nil {
		return nil, err
	}
	if err := compileFields("company", p.Company, CompanyFields, companyLevels[:], c.company[:], c.companyM[:], c.companyTF[:]); err != nil {
		return nil, err
	}
	c.ctx[ctxGeneral], c.ctxM[ctxGeneral] = c.lead, c.leadM
	if len(p.Contexts) != len(ContextNames) {
		return nil, fmt.Errorf("params: want contexts %v, got %d", ContextNames, len(p.Contexts))
	}
	var levels [len(contextFields)][]level
	for j, f := range contextFields {
		levels[j] = leadLevels[f]
	}
	for k, cp := range p.Contexts {
		if cp.Context != ContextNames[k] {
			return nil, fmt.Errorf("params: context %d: want %q, got %q", k, ContextNames[k], cp.Context)
		}
		var w, m [len(contextFields)][numLevels]float64
		var tf [len(contextFields)]bool
		if err := compileFields("context "+cp.Context, cp.Fields, ContextFields, levels[:], w[:], m[:], tf[:]); err != nil {
			return nil, err
		}
		c.ctx[k+1], c.ctxM[k+1] = c.lead, c.leadM
		for j, f := range contextFields {
			c.ctx[k+1][f], c.ctxM[k+1][f] = w[j], m[j]
		}
	}
	if !(p.JobChangeLeft > 0 && p.JobChangeLeft <= 1) {
		return nil, fmt.Errorf("params: job_change_left must be in (0,1], got %v", p.JobChangeLeft)
	}
	// In the job_change context the current company differs by the
	// context's definition: its weight is that of a person who left.
	uDiff := c.leadM[fCompany][lvDifferent] / math.Exp2(c.lead[fCompany][lvDifferent])
	c.ctx[ctxJobChange][fCompany][lvDifferent] = math.Log2(p.JobChangeLeft / uDiff)
	c.ctxM[ctxJobChange][fCompany][lvDifferent] = p.JobChangeLeft
	return c, nil
}

func compileFields(kind string, fps []FieldParams, names []string, levels [][]level, w, m [][numLevels]float64, tf []bool) error {
	if len(fps) != len(names) {
		return fmt.Errorf("params: %s: want %d fields %v, got %d", kind, len(names), names, len(fps))
	}
	for f, fp := range fps {
		if fp.Field != names[f] {
			return fmt.Errorf("params: %s field %d: want %q, got %q", kind, f, names[f], fp.Field)
		}
		tf[f] = fp.TermFrequency
		seen := map[level]bool{}
		for _, lp := range fp.Levels {
			l, ok := levelByName(lp.Level)
			if !ok || !slices.Contains(levels[f], l) {
				return fmt.Errorf("params: %s.%s: unknown level %q (want %v)", kind, fp.Field, lp.Level, levelList(levels[f]))
			}
			if seen[l] {
				return fmt.Errorf("params: %s.%s: level %q twice", kind, fp.Field, lp.Level)
			}
			seen[l] = true
			if !(lp.M > 0 && lp.M <= 1) || !(lp.U > 0 && lp.U <= 1) || math.IsNaN(lp.M) || math.IsNaN(lp.U) {
				return fmt.Errorf("params: %s.%s.%s: m and u must be in (0,1], got m=%v u=%v", kind, fp.Field, lp.Level, lp.M, lp.U)
			}
			w[f][l] = math.Log2(lp.M / lp.U)
			m[f][l] = lp.M
		}
		if len(seen) != len(levels[f]) {
			return fmt.Errorf("params: %s.%s: want levels %v", kind, fp.Field, levelList(levels[f]))
		}
	}
	return nil
}

func levelList(ls []level) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.String()
	}
	return out
}

// tfWeight is the exact-level weight of a value seen count times among n
// records: log2(m / max(count/n, TFMinimum)), within TFMaxBoost bits of the
// average exact weight.
func (c *compiled) tfWeight(base, m float64, count int32, n int, on bool) float64 {
	if !on || count <= 0 || n <= 0 {
		return base
	}
	u := max(float64(count)/float64(n), c.p.TFMinimum)
	w := math.Log2(m / u)
	return min(max(w, base-c.p.TFMaxBoost), base+c.p.TFMaxBoost)
}

func probability(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }
