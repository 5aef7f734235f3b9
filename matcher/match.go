// Match and Train run in stages: normalise (prep.go, normalize*.go), block
// (block.go), score (score.go), decide (decide.go); options.go holds the
// options and the run statistics.

package matcher

import (
	"context"
	"fmt"
	"math"
	"runtime"
)

// run is the state of one Match or Train call.
type run struct {
	in        *Input
	opts      Options
	model     *compiled
	limit     int
	crm       []prepPerson
	leads     []prepPerson
	accts     []prepCompany
	comps     []prepCompany
	pix       [numLeadIndexes]*index
	cix       [numCompanyKeys]*index
	companyN  []int32 // per CRM person: the CRM records of its company name
	firstN    []int32 // per CRM person: the CRM records of its given name
	lastN     []int32 // per CRM person: the CRM records of its surname
	leadPrior float64 // log2 prior odds of a lead pair
	compPrior float64
	ov        *overrideIndex // Options.Overrides, nil without
}

func newRun(ctx context.Context, in Input, opts Options) (*run, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	params := opts.Params
	if params == nil {
		params = DefaultParams()
	}
	model, err := params.compile()
	if err != nil {
		return nil, err
	}
	r := &run{in: &in, opts: opts, model: model, limit: opts.Parallelism}
	if r.limit == 0 {
		r.limit = runtime.GOMAXPROCS(0)
	}
	var counts crmCounts
	if r.crm, counts, err = prepareCRM(ctx, in.People, in.Accounts, r.limit); err != nil {
		return nil, fmt.Errorf("prepare crm people: %w", err)
	}
	if r.leads, err = prepareLeads(ctx, in.Leads, r.limit); err != nil {
		return nil, fmt.Errorf("prepare leads: %w", err)
	}
	if r.accts, err = prepareAccounts(ctx, in.Accounts, r.limit); err != nil {
		return nil, fmt.Errorf("prepare accounts: %w", err)
	}
	r.comps = make([]prepCompany, len(in.Companies))
	err = parallelChunks(ctx, len(in.Companies), 4096, r.limit, func(nz *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			r.comps[i] = nz.prepSNCompany(&in.Companies[i])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare companies: %w", err)
	}
	markAccountPhones(r.crm, r.accts)
	if r.pix, err = buildPersonIndexes(ctx, r.crm, opts.MaxBlockSize, r.limit); err != nil {
		return nil, fmt.Errorf("block crm people: %w", err)
	}
	if r.cix, err = buildCompanyIndexes(ctx, r.accts, opts.MaxBlockSize, r.limit); err != nil {
		return nil, fmt.Errorf("block accounts: %w", err)
	}
	m, n := r.model, len(r.crm)
	err = parallelChunks(ctx, n, 8192, r.limit, func(_ *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			c := &r.crm[i]
			c.tfW[0] = float32(m.tfWeight(m.lead[fFirst][lvExact], m.leadM[fFirst][lvExact], counts.first[i], n, m.leadTF[fFirst]))
			c.tfW[1] = float32(m.tfWeight(m.lead[fLast][lvExact], m.leadM[fLast][lvExact], counts.last[i], n, m.leadTF[fLast]))
			c.tfW[2] = float32(m.tfWeight(m.lead[fCompany][lvExact], m.leadM[fCompany][lvExact], counts.company[i], n, m.leadTF[fCompany]))
			c.tfW[3] = float32(m.tfWeight(m.lead[fPastCompany][lvExact], m.leadM[fPastCompany][lvExact], counts.company[i], n, m.leadTF[fPastCompany]))
			c.tfDomain = float32(m.tfWeight(m.lead[fCompany][lvExact], m.leadM[fCompany][lvExact], counts.domain[i], n, m.leadTF[fCompany]))
			c.isLead = in.People[i].Object == "Lead"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range r.accts {
		a := &r.accts[i]
		a.tfW = float32(m.tfWeight(m.company[cName][lvExact], m.companyM[cName][lvExact], a.nameCount, len(r.accts), m.companyTF[cName]))
	}
	r.companyN = counts.company
	r.firstN, r.lastN = counts.first, counts.last
	r.leadPrior = priorWeight(params.LeadMatchRate, len(r.crm))
	r.compPrior = priorWeight(params.CompanyMatchRate, len(r.accts))
	return r, nil
}

// priorWeight is log2 of the prior odds that a random pair matches, when a
// fraction rate of queries has a match among n records.
func priorWeight(rate float64, n int) float64 {
	lambda := rate / float64(max(n, 1))
	if lambda >= 1 {
		lambda = 1 - 1e-9
	}
	return math.Log2(lambda / (1 - lambda))
}

// Match matches the Sales Navigator leads and companies of in against its
// CRM people and Accounts. Result.Leads[i] is the decision for in.Leads[i]
// and Result.Companies[i] for in.Companies[i]. The output is the same for
// any Parallelism.
func Match(ctx context.Context, in Input, opts Options) (*Result, error) {
	r, err := newRun(ctx, in, opts)
	if err != nil {
		return nil, err
	}
	r.ov = compileOverrides(r, opts.Overrides)
	leadScores, leadStats, _, err := r.scoreLeads(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("score leads: %w", err)
	}
	comp, err := r.scoreCompanies(ctx, r.comps, false)
	if err != nil {
		return nil, fmt.Errorf("score companies: %w", err)
	}
	qs, leadQ, err := r.leadCompanyQueries(ctx)
	if err != nil {
		return nil, fmt.Errorf("lead companies: %w", err)
	}
	q, err := r.scoreCompanies(ctx, qs, false)
	if err != nil {
		return nil, fmt.Errorf("score lead companies: %w", err)
	}

	res := &Result{Leads: make([]LeadResult, len(r.leads)), Companies: make([]CompanyResult, len(r.comps))}
	err = parallelChunks(ctx, len(r.leads), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			res.Leads[i] = r.decideLead(i, &leadScores[i])
			if j := leadQ[i]; j >= 0 {
				s := &q.scores[j]
				if s.n > 0 {
					best := s.top[0]
					res.Leads[i].AccountProbability = probability(best.w)
					if r.companyDecision(s) == DecisionMatch {
						res.Leads[i].AccountID = r.in.Accounts[best.idx].ID
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide leads: %w", err)
	}
	r.oneToOneLeads(res.Leads, leadScores)
	for i := range r.comps {
		res.Companies[i] = r.decideCompany(i, &comp.scores[i])
	}
	r.oneToOneCompanies(res.Companies, comp.scores)
	res.Stats = r.stats(res.Leads, leadStats, comp, q)
	res.Overrides = r.ov.scores()
	return res, nil
}

// leadKeyIndex is the CRM index each lead blocking key looks up.
var leadKeyIndex = [numLeadKeys]int{
	kEmail: ixEmail, kPhone: ixPhone, kNamePhonetic: ixName, kSwappedPhonetic: ixName, kCompanySurname: ixCompanySurname,
	kDomainSurname: ixDomainSurname, kPastCompanySurname: ixCompanySurname, kCompanyFirst: ixCompanyFirst,
	kLinked: ixLinked,
}

// linkedWeight is added to the match weight of a pair whose CRM record
// already carries this lead's id in the writeback field: the link was made
// (or confirmed) before, so it stands unless the fields contradict it
// overwhelmingly.
const linkedWeight = 30
