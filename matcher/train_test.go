package matcher

import (
	"context"
	"reflect"
	"testing"
)

func TestTrain(t *testing.T) {
	in := syntheticInput(2000, 5)
	opts := DefaultOptions()
	opts.Parallelism = 1
	p1, err := Train(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p1.Validate(); err != nil {
		t.Fatalf("trained params invalid: %v", err)
	}
	opts.Parallelism = 4
	p2, err := Train(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Error("Train depends on parallelism")
	}
	c, err := p1.compile()
	if err != nil {
		t.Fatal(err)
	}
	// Agreement must count for and disagreement against a match.
	for _, f := range []int{fEmail, fFirst, fLast, fCompany} {
		if c.lead[f][lvExact] <= 0 || c.lead[f][lvDifferent] >= 0 {
			t.Errorf("%s: exact weight %.2f, different %.2f", LeadFields[f], c.lead[f][lvExact], c.lead[f][lvDifferent])
		}
	}
	// Quality with trained parameters is checked on a generated world in
	// fixtures_test.go; this tiny world of a few dozen names is too
	// ambiguous for EM to say much.
	if _, err := Train(context.Background(), Input{}, DefaultOptions()); err == nil {
		t.Error("Train on empty input: no error")
	}
}

func TestAlreadyLinked(t *testing.T) {
	in := Input{
		People: []Person{
			{ID: "003X", Object: "Contact", FirstName: "Ann", LastName: "Gruber", Company: "Old Co", LinkedLeadID: "urn:1"},
			{ID: "003Y", Object: "Contact", FirstName: "Ann", LastName: "Gruber", Company: "Other Co"},
		},
		Leads: []Lead{{LeadID: "urn:1", FirstName: "Anna", LastName: "Gruber", CurrentCompany: "New Co"}},
	}
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	lr := res.Leads[0]
	if lr.Decision != DecisionMatch || lr.CRMID != "003X" || lr.Reason != "already linked to this lead" || !contains(lr.BlockingKeys, "linked_lead_id") {
		t.Errorf("linked lead: %+v", lr)
	}
}
