package matcher

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
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

// A CRM record without a title cannot vouch for a lead of the same name
// and firm that has one where the firm is likely to hold two people of
// that name (issue 10, independent worlds: namesakes of common names at
// large employers matched a title-less Contact): Wei Zhang at a firm of
// 400 CRM records, most of them Zhangs and Weis, is possible; at a firm of
// one record, with a rare name, the same pair is a match.
func TestNamesakeRiskWithoutTitle(t *testing.T) {
	var in Input
	given := []string{"Wei", "Li", "Ming", "Jun"}
	family := []string{"Zhang", "Wang", "Chen", "Liu"}
	for i := range 400 {
		in.People = append(in.People, Person{ID: fmt.Sprintf("003%015d", i), Object: "Contact",
			FirstName: given[i%4], LastName: family[(i/4)%4], Company: "Huaxing Electronics", Title: "Engineer",
			Email: fmt.Sprintf("p%d@huaxing.cn", i)})
	}
	in.People[0].Title, in.People[0].Email = "", "" // Wei Zhang, no title, no address
	for i := range 1200 {
		in.People = append(in.People, Person{ID: fmt.Sprintf("003%015d", 1000+i), Object: "Contact",
			FirstName: fmt.Sprintf("Given%d", i), LastName: fmt.Sprintf("Family%d", i), Company: fmt.Sprintf("Firm %d", i)})
	}
	in.People = append(in.People, Person{ID: "003000000000009999", Object: "Contact", FirstName: "Ottoline", LastName: "Quenneville", Company: "Brindle Works"})
	in.Leads = []Lead{
		{LeadID: "L1", FirstName: "Wei", LastName: "Zhang", CurrentCompany: "Huaxing Electronics", CurrentTitle: "Sales Director"},
		{LeadID: "L2", FirstName: "Ottoline", LastName: "Quenneville", CurrentCompany: "Brindle Works", CurrentTitle: "Sales Director"},
	}
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	l1, l2 := res.Leads[0], res.Leads[1]
	if l1.Decision != DecisionPossible || !strings.HasPrefix(l1.Reason, "same_name_colleague") || l1.CRMID != in.People[0].ID {
		t.Errorf("Wei Zhang at a firm of 400: %s %s %q, want possible same_name_colleague", l1.Decision, l1.CRMID, l1.Reason)
	}
	if l2.Decision != DecisionMatch || l2.CRMID != "003000000000009999" {
		t.Errorf("a rare name at a firm of one: %s %s %q, want match", l2.Decision, l2.CRMID, l2.Reason)
	}
}

// A lead whose name carries a generational suffix the CRM record lacks is
// possible, reason same_name_relative, unless an email or number of the
// person's confirms it.
func TestSameNameRelative(t *testing.T) {
	in := Input{People: []Person{
		{ID: "003000000000000001", Object: "Contact", FirstName: "Kenji", LastName: "Hayashi", Company: "Horizonte Engenharia", Email: "kenji.hayashi@horizonte.com.br", Title: "Data Scientist"},
		{ID: "003000000000000002", Object: "Contact", FirstName: "Ottoline", LastName: "Quenneville", Company: "Brindle Works", Email: "oq@brindle.example", Title: "Data Scientist"},
	}, Leads: []Lead{
		{LeadID: "L1", FirstName: "Kenji", LastName: "Hayashi Sr.", CurrentCompany: "Horizonte Engenharia", CurrentTitle: "Data Scientist"},
		{LeadID: "L2", FirstName: "Ottoline", LastName: "Quenneville Jr.", Email: "oq@brindle.example", CurrentCompany: "Brindle Works", CurrentTitle: "Data Scientist"},
	}}
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Leads[0]; l.Decision != DecisionPossible || !strings.HasPrefix(l.Reason, "same_name_relative") {
		t.Errorf("Kenji Hayashi Sr.: %s %q, want possible same_name_relative", l.Decision, l.Reason)
	}
	if l := res.Leads[1]; l.Decision != DecisionMatch {
		t.Errorf("a suffix with the person's own address: %s %q, want match", l.Decision, l.Reason)
	}
}
