package matcher

// Overrides carry what a person decided about pairs (the review page's
// verdicts, kept by the batch job) into a run. They act on the candidates
// before anything is decided, so the rest of the matcher works as usual:
//
//   - a forbidden pair (different people) is never a candidate: the CRM
//     record, and the records of its family (a converted Lead and the
//     Contact it became), are left out of the lead's candidates, whatever
//     blocking found;
//   - pinned pairs (the same person) are the lead's only candidates: each
//     is scored, whether or not a blocking key pairs them, and the lead is
//     decided on them as on any candidates. The caller then sees from the
//     result whether the pair still scores high enough to act on it.
//
// Every pair whose lead and record are in the input is scored and reported
// in Result.Overrides, forbidden ones too (for the precision of past
// reviews at today's thresholds). The output stays deterministic and the
// same for any Parallelism; without overrides nothing changes.
type Overrides struct {
	Forbidden []Pair
	Pinned    []Pair
}

// Pair names a Sales Navigator lead and a CRM person (Contact or Lead) by
// their ids.
type Pair struct {
	LeadID string
	CRMID  string
}

// PairScore is how an override pair scored in a run. Found is false when
// the lead or the record is not in the input (nothing else is then set).
type PairScore struct {
	Pair
	Pinned      bool
	Found       bool
	Probability float64
	MatchWeight float64
}

// overrideIndex is Overrides compiled against a run's leads and CRM
// people.
type overrideIndex struct {
	byLead map[int32][]overridePair
	out    []PairScore // in the order of Pinned then Forbidden
}

type overridePair struct {
	crm    int32
	pinned bool
	slot   int
}

// compileOverrides finds the pairs' leads and records in the run (nil when
// there is nothing to apply).
func compileOverrides(r *run, o *Overrides) *overrideIndex {
	if o == nil || len(o.Pinned)+len(o.Forbidden) == 0 {
		return nil
	}
	ov := &overrideIndex{byLead: map[int32][]overridePair{}}
	leadIx := map[string]int32{}
	crmIx := map[string]int32{}
	for _, list := range [][]Pair{o.Pinned, o.Forbidden} {
		for _, p := range list {
			leadIx[p.LeadID], crmIx[p.CRMID] = -1, -1
		}
	}
	for i := range r.in.Leads {
		if _, ok := leadIx[r.in.Leads[i].LeadID]; ok {
			leadIx[r.in.Leads[i].LeadID] = int32(i)
		}
	}
	for i := range r.in.People {
		if _, ok := crmIx[r.in.People[i].ID]; ok {
			crmIx[r.in.People[i].ID] = int32(i)
		}
	}
	for k, list := range [][]Pair{o.Pinned, o.Forbidden} {
		for _, p := range list {
			slot := len(ov.out)
			ov.out = append(ov.out, PairScore{Pair: p, Pinned: k == 0})
			li, ci := leadIx[p.LeadID], crmIx[p.CRMID]
			if li < 0 || ci < 0 {
				continue
			}
			ov.out[slot].Found = true
			ov.byLead[li] = append(ov.byLead[li], overridePair{crm: ci, pinned: k == 0, slot: slot})
		}
	}
	return ov
}

// filter applies the lead's overrides to its candidate hits (from gather)
// and scores its pairs. It writes only the lead's own slots, so chunks of
// leads may run it in parallel.
func (ov *overrideIndex) filter(r *run, i int, hits []hit) []hit {
	ps := ov.byLead[int32(i)]
	if len(ps) == 0 {
		return hits
	}
	l := &r.leads[i]
	pinned := false
	for _, p := range ps {
		lv := leadLevelsOf(l, &r.crm[p.crm])
		_, w := r.leadWeights(l, p.crm, &lv)
		w += r.leadPrior
		s := &ov.out[p.slot]
		s.MatchWeight, s.Probability = round6(w), round6(probability(w))
		pinned = pinned || p.pinned
	}
	isPinned := func(idx int32) bool {
		for _, p := range ps {
			if p.pinned && p.crm == idx {
				return true
			}
		}
		return false
	}
	forbidden := func(idx int32) bool {
		fam := r.crm[idx].family
		for _, p := range ps {
			if !p.pinned && (p.crm == idx || r.crm[p.crm].family == fam) {
				return true
			}
		}
		return false
	}
	out := hits[:0]
	for _, h := range hits {
		switch {
		case pinned && !isPinned(h.idx):
		case !pinned && forbidden(h.idx):
		default:
			out = append(out, h)
		}
	}
	if pinned {
		// Pinned records blocking did not find are candidates all the same.
		for _, p := range ps {
			if !p.pinned {
				continue
			}
			found := false
			for _, h := range out {
				found = found || h.idx == p.crm
			}
			if !found {
				out = append(out, hit{idx: p.crm})
			}
		}
	}
	return out
}

// scores is the pairs as scored by the run.
func (ov *overrideIndex) scores() []PairScore {
	if ov == nil {
		return nil
	}
	return ov.out
}

// LeadPrior is the prior of a lead pair in bits, log2 of the prior odds
// that a lead and a random CRM person are the same person, with params
// (nil: DefaultParams) and crmPeople CRM records: the start of every
// explanation, to which the field weights of LeadResult.Fields add up to
// MatchWeight (plus 30 bits for a record already linked to the lead).
func LeadPrior(params *Params, crmPeople int) float64 {
	if params == nil {
		params = DefaultParams()
	}
	return priorWeight(params.LeadMatchRate, crmPeople)
}
