package matcher

import (
	"context"
	"math"
	"reflect"
	"testing"
)

func TestOverrides(t *testing.T) {
	in, _ := handWorld()
	base, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	byID := func(res *Result) map[string]LeadResult {
		m := map[string]LeadResult{}
		for _, lr := range res.Leads {
			m[lr.LeadID] = lr
		}
		return m
	}
	b := byID(base)
	if b["L1"].CRMID != "003A" || b["L6"].CRMID != "003F" || b["L8"].CRMID != "00QH" {
		t.Fatalf("hand world changed: L1 %s, L6 %s, L8 %s", b["L1"].CRMID, b["L6"].CRMID, b["L8"].CRMID)
	}

	opts := DefaultOptions()
	opts.Overrides = &Overrides{
		// L1 is not John Kowalczyk of Acme; L6 is not the Contact that the
		// converted Lead 00QF became (so not 00QF either); L9 (no
		// candidate at all) is Michael Smith of Cyberdyne; L8 is pinned to
		// the record it matches anyway. Unknown ids are reported unfound.
		Forbidden: []Pair{{"L1", "003A"}, {"L6", "003F"}, {"L404", "003A"}},
		Pinned:    []Pair{{"L9", "00QI"}, {"L8", "00QH"}, {"L8", "003X"}},
	}
	for _, par := range []int{1, 3} {
		opts.Parallelism = par
		res, err := Match(context.Background(), in, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := byID(res)
		if lr := got["L1"]; lr.CRMID == "003A" || lr.RunnerUpID == "003A" {
			t.Errorf("L1 still proposed with 003A: %s", lr.describe())
		}
		if lr := got["L6"]; lr.CRMID == "003F" || lr.CRMID == "00QF" || lr.RunnerUpID == "003F" || lr.RunnerUpID == "00QF" {
			t.Errorf("L6 proposed with 003F's family: %s", lr.describe())
		}
		if lr := got["L9"]; lr.CRMID != "00QI" || len(lr.BlockingKeys) != 0 {
			t.Errorf("L9 pinned to 00QI: got %s", lr.describe())
		}
		if lr := got["L8"]; lr.Decision != DecisionMatch || lr.CRMID != "00QH" || lr.RunnerUpID != "" {
			t.Errorf("L8 pinned to 00QH: got %s", lr.describe())
		}
		// Leads without overrides decide as before.
		for id, lr := range b {
			if id == "L1" || id == "L6" || id == "L8" || id == "L9" || id == "L10" {
				continue
			}
			if !reflect.DeepEqual(got[id], lr) {
				g := got[id]
				t.Errorf("%s changed without an override:\n got %s\nwant %s", id, g.describe(), lr.describe())
			}
		}
		if len(res.Overrides) != 6 {
			t.Fatalf("%d override scores, want 6: %+v", len(res.Overrides), res.Overrides)
		}
		want := map[Pair]bool{{"L9", "00QI"}: true, {"L8", "00QH"}: true, {"L8", "003X"}: false,
			{"L1", "003A"}: true, {"L6", "003F"}: true, {"L404", "003A"}: false}
		for i, s := range res.Overrides {
			if s.Found != want[s.Pair] || s.Pinned != (i < 3) {
				t.Errorf("override %d %+v: found %v pinned %v", i, s.Pair, s.Found, s.Pinned)
			}
		}
		// A forbidden pair's score is the one it had as a candidate.
		if s := res.Overrides[3]; s.Probability != b["L1"].Probability || s.MatchWeight != b["L1"].MatchWeight {
			t.Errorf("forbidden L1/003A scored p=%v w=%v, as a candidate p=%v w=%v", s.Probability, s.MatchWeight, b["L1"].Probability, b["L1"].MatchWeight)
		}
		if s := res.Overrides[1]; s.Probability != got["L8"].Probability {
			t.Errorf("pinned L8/00QH scored p=%v, decided on p=%v", s.Probability, got["L8"].Probability)
		}
	}
}

// The prior and the field weights add up to the match weight, as the review
// page draws them.
func TestLeadPriorAddsUp(t *testing.T) {
	in, _ := handWorld()
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	prior := LeadPrior(nil, len(in.People))
	if want := math.Log2(0.08 / 0.92); math.Abs(prior-want) > 1e-9 {
		t.Errorf("prior %v, want %v (0.8 over 10 people)", prior, want)
	}
	n := 0
	for _, lr := range res.Leads {
		if lr.CRMID == "" {
			continue
		}
		sum := prior
		for _, f := range lr.Fields {
			sum += f.Weight
		}
		if math.Abs(sum-lr.MatchWeight) > 1e-4 {
			t.Errorf("%s: prior + fields = %v, match weight %v", lr.LeadID, sum, lr.MatchWeight)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no lead had a candidate")
	}
}
