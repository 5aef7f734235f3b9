package matcher

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

func keyNames(bits uint16, names []string) []string {
	var out []string
	for k, n := range names {
		if bits&(1<<k) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// sameCRMPerson reports whether two CRM records are the same person: a
// converted Lead and its Contact, or duplicates sharing an email or a phone
// number nobody else carries, or the same full name at the same company.
func sameCRMPerson(a, b *prepPerson) bool {
	if a.family == b.family {
		return true
	}
	if a.email != "" && a.email == b.email {
		return true
	}
	// A number of one person (several people share a switchboard).
	if a.phones[0] != 0 && a.phoneOthers[0] == 0 && (a.phones[0] == b.phones[0] || a.phones[0] == b.phones[1]) {
		return true
	}
	if a.last == "" || a.last != b.last || a.company.name == "" || a.company.name != b.company.name ||
		!(a.first == b.first || rootsIntersect(a.firstRoots, b.firstRoots)) {
		return false
	}
	// Same name at the same company: one person entered twice, unless both
	// have different work addresses (two namesakes at one employer).
	return a.email == "" || b.email == "" || a.domains[1] == "" || b.domains[1] == ""
}

// runnerUp returns the best candidate after top[0] that is not the same CRM
// person as top[0], and whether one was skipped as a duplicate.
func (r *run) runnerUp(s *scored) (cand, bool, bool) {
	dup := false
	best := &r.crm[s.top[0].idx]
	for i := 1; i < int(s.n); i++ {
		c := s.top[i]
		if sameCRMPerson(best, &r.crm[c.idx]) {
			dup = true
			continue
		}
		return c, true, dup
	}
	return cand{}, false, dup
}

func (r *run) decideLead(i int, s *scored) LeadResult {
	lr := LeadResult{LeadID: r.in.Leads[i].LeadID, Decision: DecisionNone}
	if s.n == 0 {
		lr.Reason = "no candidate"
		lr.Fields = emptyFields(LeadFields)
		return lr
	}
	best := s.top[0]
	p := &r.in.People[best.idx]
	c := &r.crm[best.idx]
	l := &r.leads[i]
	lr.CRMObject = p.Object
	lr.CRMID = p.ID
	lr.Converted = p.IsConverted
	if p.IsConverted {
		lr.ConvertedContactID = p.ConvertedContactID
	}
	lr.MatchWeight = round6(best.w)
	lr.Probability = round6(probability(best.w))
	lv := leadLevelsOf(l, c)
	fw, _ := r.leadWeights(l, best.idx, &lv)
	lr.Fields = fieldScores(LeadFields, lv[:], fw[:])
	lr.BlockingKeys = keyNames(best.keys, leadKeyNames[:])
	lr.JobChange = (lv[fPastCompany] == lvExact || lv[fPastCompany] == lvFuzzyStrong) &&
		lv[fCompany] != lvExact && lv[fCompany] != lvFuzzyStrong
	ru, hasRU, dup := r.runnerUp(s)
	if hasRU {
		lr.RunnerUpID = r.in.People[ru.idx].ID
		lr.RunnerUpProbability = round6(probability(ru.w))
	}
	ambiguous := hasRU && best.w-ru.w < r.model.p.RunnerUpMargin
	linked := c.linked != "" && c.linked == l.linked
	// A number several CRM people carry (a switchboard) tells the company,
	// not the person: it does not count as this person's own.
	others := phoneOthers(l, c)
	ownPhone := lv[fPhone] == lvExact && others == 0
	blocker := r.blocker(l, best.idx, &lv, linked, ownPhone)
	if blocker != "" && lv[fPhone] == lvExact && !ownPhone && r.blocker(l, best.idx, &lv, linked, true) == "" {
		blocker = fmt.Sprintf("shared_phone: the phone agrees, but %d other CRM records carry the number (a switchboard); nothing else of this person's confirms it", others)
	}
	if blocker == "" && !linked && lr.Probability >= r.opts.AutoThreshold &&
		(l.title.norm != "" && c.title.norm == "" || l.email != "" && c.email == "") {
		// The best record lacks a title or an address the lead has: what
		// the person's other records say about them counts.
		blocker = r.duplicateEvidence(l, s)
	}
	switch {
	case lr.Probability >= r.opts.AutoThreshold && blocker != "":
		lr.Decision = DecisionPossible
		lr.Reason = blocker
	case lr.Probability >= r.opts.AutoThreshold && !ambiguous:
		lr.Decision = DecisionMatch
		if linked {
			lr.Reason = "already linked to this lead"
		} else if dup {
			lr.Reason = "crm duplicates: best of several records of this person"
		}
	case lr.Probability >= r.opts.AutoThreshold:
		lr.Decision = DecisionPossible
		lr.Reason = "ambiguous: runner-up too close"
	case lr.Probability >= r.opts.ReviewThreshold:
		lr.Decision = DecisionPossible
		switch {
		case blocker != "":
			lr.Reason = blocker
		case ambiguous:
			lr.Reason = "below auto threshold; runner-up too close"
		default:
			lr.Reason = "below auto threshold"
		}
	default:
		lr.Reason = "below review threshold"
	}
	return lr
}

// blocker returns why a pair of levels lv must not be a match whatever
// its probability ("" when nothing stands in the way); ownPhone says
// whether the phone agrees on a number of this person's own. Names alone
// never match; a name that differs, or a variant of it with another job,
// needs the person's own email or number; so does the same name at the
// same company when the rest says two people (same_name_colleague).
func (r *run) blocker(l *prepPerson, ci int32, lv *[numLeadFields]level, linked, ownPhone bool) string {
	if linked {
		return ""
	}
	contact := lv[fEmail] == lvExact || ownPhone
	switch {
	case !corroborated(lv, ownPhone):
		return "names only: no email, phone or company agreement"
	case contact:
		return ""
	case lv[fFirst] == lvDifferent || lv[fLast] == lvDifferent:
		return "name differs: needs email or phone agreement"
	case nameVariant(lv) && otherJob(lv[fTitle]):
		return "name variant and title differs: needs email or phone agreement"
	}
	if gl, gc := l.lead.generation, r.crmGeneration(ci); gl != gc {
		return "same_name_relative: one name carries a generational suffix (Jr., Sr., III) the other lacks or differs in, and no email or phone of this person's confirms it: this may be a parent or child of the same name"
	}
	if why := r.colleagueEvidence(l, ci, lv); why != "" {
		return "same_name_colleague: the name and company agree, but " + why +
			", and no email or phone of this person's confirms it: this may be a colleague of the same name"
	}
	return ""
}

// duplicateEvidence looks at the other records of the best candidate's
// person among the candidates (a duplicate, a converted Lead's Contact):
// what one of them holds against the lead (a given name that differs,
// another job beside a name variant, another mailbox or job at the same
// company) stands against the person, which the best record may not show
// for want of a title or an address; a record agreeing on the person's
// own email or number lifts it.
func (r *run) duplicateEvidence(l *prepPerson, s *scored) string {
	bi := s.top[0].idx
	best := &r.crm[bi]
	// The person's other records: among the candidates, its converted
	// Lead's Contact, and the records of its name at its company (a large
	// firm's candidates may crowd a weaker duplicate out of the top).
	var buf [32]int32
	others := buf[:0]
	for i := 1; i < int(s.n); i++ {
		others = append(others, s.top[i].idx)
	}
	if best.family != bi {
		others = append(others, best.family)
	}
	if best.last != "" && best.company.name != "" {
		others = append(others, r.pix[ixCompanySurname].lookup(keyHash(ixCompanySurname, best.company.name, best.last))...)
	}
	slices.Sort(others)
	others = slices.Compact(others)
	why := ""
	for _, ci := range others {
		c := &r.crm[ci]
		if ci == bi || !sameCRMPerson(best, c) {
			continue
		}
		lv := leadLevelsOf(l, c)
		own := lv[fPhone] == lvExact && phoneOthers(l, c) == 0
		if lv[fEmail] == lvExact || own || c.linked != "" && c.linked == l.linked {
			return ""
		}
		if b := r.blocker(l, ci, &lv, false, own); b != "" && !strings.HasPrefix(b, "names only") && why == "" {
			why = b
		}
	}
	if why == "" {
		return ""
	}
	code, detail, _ := strings.Cut(why, ": ")
	return code + ": " + detail + " (another record of this person)"
}

// otherJob reports whether a title level says another job: a title of
// another function, or of the same function at another seniority.
func otherJob(t level) bool { return t == lvDifferent || t == lvSameFunction }

// colleagueEvidence says what, at one company, points to two people rather
// than one ("" for nothing): another mailbox at the company's domain
// without the same title (an alias of one person usually comes with the
// same job), or another title without the CRM job among the lead's
// earlier positions at that company (a promotion LinkedIn lists), or a
// CRM record without a title beside a lead with one at a firm where a
// namesake is likely (namesakeRisk).
func (r *run) colleagueEvidence(l *prepPerson, ci int32, lv *[numLeadFields]level) string {
	c := &r.crm[ci]
	if lv[fCompany] != lvExact && lv[fCompany] != lvFuzzyStrong {
		return ""
	}
	sameJob := lv[fTitle] == lvExact || lv[fTitle] == lvFuzzyStrong
	switch {
	case (lv[fEmail] == lvSameDomain || lv[fEmail] == lvAlias || lv[fEmail] == lvFuzzyStrong) && !sameJob:
		// two mailboxes at the domain; one letter apart ("jsmith",
		// "jasmith") is a middle initial as often as a typo
		return "the addresses are two mailboxes at its domain"
	case (lv[fTitle] == lvFuzzyWeak || otherJob(lv[fTitle])) && !heldJob(l, c):
		return "the titles are two jobs"
	case lv[fTitle] == lvMissing && l.title.norm != "" && c.title.norm == "" && r.namesakes(ci) >= namesakeRisk:
		// nothing to compare, at a firm likely to hold two of the name
		return "the CRM record has no title, and the firm's size and the name's frequency make a colleague of the same name likely"
	}
	return ""
}

// heldJob reports whether one of the lead's past positions is the CRM
// record's: its company and title.
func heldJob(l, c *prepPerson) bool {
	ls := l.lead
	if c.title.norm == "" || c.company.name == "" {
		return false
	}
	for i := range ls.past {
		if i >= len(ls.pastTitles) {
			break
		}
		co := compareCompany(&ls.past[i], nil, c.company, c.domains[:])
		ti := compareTitle(&ls.pastTitles[i], c.title)
		if (co == lvExact || co == lvFuzzyStrong) && (ti == lvExact || ti == lvFuzzyStrong) {
			return true
		}
	}
	return false
}

// nameVariant reports whether the names agree only approximately: a
// nickname, a similar or initial given name, or a similar family name. At
// one employer that is as likely a colleague or relative of the same family
// name (Bob and Robert Smith) as the same person, so with a title that
// disagrees it needs an email or phone to be a match.
func nameVariant(lv *[numLeadFields]level) bool {
	switch lv[fFirst] {
	case lvNickname, lvFuzzyStrong, lvFuzzyWeak, lvInitial:
		return true
	}
	switch lv[fLast] {
	case lvFuzzyStrong, lvFuzzyWeak:
		return true
	}
	return false
}

// corroborated reports whether a pair agrees on more than names: email,
// the person's own phone number, current company or past company. Names
// alone never make a match, however rare they are: a namesake at another
// company is too likely.
func corroborated(lv *[numLeadFields]level, ownPhone bool) bool {
	strong := func(l level) bool { return l == lvExact || l == lvFuzzyStrong }
	return strong(lv[fEmail]) || ownPhone || strong(lv[fCompany]) || strong(lv[fPastCompany])
}

// oneToOneLeads keeps at most one matched lead per CRM person (a converted
// Lead and its Contact count as one): the strongest, when it is clearly
// ahead; the others become possible.
func (r *run) oneToOneLeads(res []LeadResult, scores []scored) {
	demoted := r.oneToOne(scores, func(i int) (int32, bool) {
		if res[i].Decision != DecisionMatch {
			return 0, false
		}
		return r.crm[scores[i].top[0].idx].family, true
	})
	for _, d := range demoted {
		res[d.i].Decision = DecisionPossible
		res[d.i].Reason = d.reason("lead", res[d.by].LeadID)
	}
}

// demotion is a match that oneToOne makes possible: by is the result that
// took its CRM record or, when contested, the runner-up that contests it.
type demotion struct {
	i, by     int
	contested bool
}

func (d demotion) reason(kind, byID string) string {
	if d.contested {
		return "one-to-one: contested by " + kind + " " + byID
	}
	return "one-to-one: taken by " + kind + " " + byID
}

// oneToOne groups the matched results by CRM record (key reports the
// record of result i and whether it is a match). In a group of two or
// more the strongest stays a match when it is clearly ahead of the second;
// the others are returned, in group order.
func (r *run) oneToOne(scores []scored, key func(i int) (int32, bool)) []demotion {
	by := map[int32][]int{}
	var order []int32
	for i := range scores {
		k, ok := key(i)
		if !ok {
			continue
		}
		if _, seen := by[k]; !seen {
			order = append(order, k)
		}
		by[k] = append(by[k], i)
	}
	var out []demotion
	for _, k := range order {
		g := by[k]
		if len(g) < 2 {
			continue
		}
		slices.SortStableFunc(g, func(a, b int) int { return cmp.Compare(scores[b].top[0].w, scores[a].top[0].w) })
		if scores[g[0]].top[0].w-scores[g[1]].top[0].w < r.model.p.RunnerUpMargin {
			out = append(out, demotion{i: g[0], by: g[1], contested: true})
		}
		for _, i := range g[1:] {
			out = append(out, demotion{i: i, by: g[0]})
		}
	}
	return out
}

func (r *run) companyDecision(s *scored) Decision {
	if s.n == 0 {
		return DecisionNone
	}
	best := s.top[0]
	p := probability(best.w)
	ambiguous := s.n > 1 && best.w-s.top[1].w < r.model.p.RunnerUpMargin
	switch {
	case p >= r.opts.AutoThreshold && !ambiguous:
		return DecisionMatch
	case p >= r.opts.ReviewThreshold:
		return DecisionPossible
	}
	return DecisionNone
}

func (r *run) decideCompany(i int, s *scored) CompanyResult {
	cr := CompanyResult{AccountID: r.in.Companies[i].AccountID, Decision: DecisionNone}
	if s.n == 0 {
		cr.Reason = "no candidate"
		cr.Fields = emptyFields(CompanyFields)
		return cr
	}
	best := s.top[0]
	q, a := &r.comps[i], &r.accts[best.idx]
	cr.CRMAccountID = r.in.Accounts[best.idx].ID
	cr.MatchWeight = round6(best.w)
	cr.Probability = round6(probability(best.w))
	lv := companyLevelsOf(q, a)
	fw, _ := r.companyWeights(q, a, &lv)
	cr.Fields = fieldScores(CompanyFields, lv[:], fw[:])
	cr.BlockingKeys = keyNames(best.keys, companyKeyNames[:])
	if s.n > 1 {
		cr.RunnerUpID = r.in.Accounts[s.top[1].idx].ID
		cr.RunnerUpProbability = round6(probability(s.top[1].w))
	}
	cr.Decision = r.companyDecision(s)
	switch {
	case cr.Decision == DecisionPossible && cr.Probability >= r.opts.AutoThreshold:
		cr.Reason = "ambiguous: runner-up too close"
	case cr.Decision == DecisionPossible:
		cr.Reason = "below auto threshold"
	case cr.Decision == DecisionNone:
		cr.Reason = "below review threshold"
	}
	return cr
}

// oneToOneCompanies keeps at most one matched company per Account, as
// oneToOneLeads does per CRM person.
func (r *run) oneToOneCompanies(res []CompanyResult, scores []scored) {
	demoted := r.oneToOne(scores, func(i int) (int32, bool) {
		return scores[i].top[0].idx, res[i].Decision == DecisionMatch
	})
	for _, d := range demoted {
		res[d.i].Decision = DecisionPossible
		res[d.i].Reason = d.reason("account", res[d.by].AccountID)
	}
}

// fieldScores explains a pair field by field: names[f], its level and its
// weight.
func fieldScores(names []string, lv []level, fw []float64) []FieldScore {
	out := make([]FieldScore, len(names))
	for f, n := range names {
		out[f] = FieldScore{Field: n, Level: lv[f].String(), Weight: round6(fw[f])}
	}
	return out
}

func emptyFields(names []string) []FieldScore {
	out := make([]FieldScore, len(names))
	for i, n := range names {
		out[i] = FieldScore{Field: n, Level: lvMissing.String()}
	}
	return out
}

// round6 rounds to 6 decimals so reports and golden files are stable.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// describe renders an explanation on one line, for logs and reviews.
func (lr *LeadResult) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s p=%.4f w=%.2f", lr.LeadID, lr.Decision, lr.CRMID, lr.Probability, lr.MatchWeight)
	for _, f := range lr.Fields {
		fmt.Fprintf(&b, " %s=%s(%+.2f)", f.Field, f.Level, f.Weight)
	}
	return b.String()
}

// namesakeRisk is the expected number of namesakes at a firm (see
// namesakes) from which a CRM record without a title cannot vouch for a
// lead with one: one in a thousand. Below it the same name at the same
// firm is the person; at a large employer with a common name (Wei Zhang,
// Maria Garcia) it may be a colleague, and the pair is possible. Set on
// the tuning worlds (no match there changed) and the independent worlds
// of seeds 1-3 (benchmarks/indep). 3e-4 was tried (three wrong matches of
// nine there became possible, for fifteen right ones) and left: the
// estimate moves with the org's size, and near a lower threshold pairs
// flipped from possible to match when the org grew by the Contacts a run
// created (the demo's third run wrote two writebacks).
const namesakeRisk = 1e-3

// namesakes is how many people of the CRM person ci's full name its firm
// can be expected to hold besides them, were names drawn independently of
// firms: the firm's CRM records times the shares of the given name and of
// the surname among all CRM records.
func (r *run) namesakes(ci int32) float64 {
	n := float64(len(r.crm))
	return float64(r.companyN[ci]) * float64(r.firstN[ci]) / n * float64(r.lastN[ci]) / n
}

// crmGeneration is the generational suffix of CRM person ci's name (see
// generation), read from the record as given: only the decided pairs ask.
func (r *run) crmGeneration(ci int32) uint8 {
	p := &r.in.People[ci]
	return generation(p.FirstName, p.LastName)
}
