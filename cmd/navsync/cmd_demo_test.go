package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"demo", "--out", out, "--size", "2000", "--seed", "7"}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	s := stdout.String()
	for _, f := range []string{"crm/Contact.csv", "salesnav/leads.csv", "truth/leads.csv", "reports/matches.parquet", "reports/accounts.parquet", "reports/rejects.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	_, rows := parquetRows(t, filepath.Join(out, "reports", "matches.parquet"))
	if len(rows) != 1000 { // fixtures: SN leads default to People/2
		t.Errorf("%d rows in matches.parquet, want 1000", len(rows))
	}
	for _, want := range []string{"navsync match — run", "quality against the world's truth (1,000 leads", "per scenario", "not_in_org",
		"duckdb -c \"SELECT decision, count(*) FROM '" + filepath.ToSlash(filepath.Join(out, "reports", "matches.parquet")) + "' GROUP BY 1\""} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	// The figures must come from a working join of results and truth: a
	// broken one gives 0% or n/a.
	for _, metric := range []string{"match precision", "match recall", "match+possible recall", "account accuracy"} {
		m := regexp.MustCompile(regexp.QuoteMeta(metric) + `\s+([0-9.]+)%`).FindStringSubmatch(s)
		if m == nil {
			t.Errorf("no %s in the output", metric)
			continue
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 80 {
			t.Errorf("%s = %s%%, below 80%% on a generated world", metric, m[1])
		}
	}
}

func TestDemoUsage(t *testing.T) {
	err := Run(context.Background(), []string{"demo", "--size", "5"}, &bytes.Buffer{}, &bytes.Buffer{})
	if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
}

func TestDemoScoring(t *testing.T) {
	truth := map[string]input.LeadTruth{
		"a": {Scenario: "exact", CRMIDs: []string{"003A"}, AccountID: "001A"},
		"b": {Scenario: "converted_lead", CRMIDs: []string{"00QB", "003B"}, AccountID: "001B"},
		"c": {Scenario: "typo", CRMIDs: []string{"003C"}},
		"d": {Scenario: "not_in_org"},
		"e": {Scenario: "namesake"},
		"f": {Scenario: "typo", CRMIDs: []string{"003F"}},
		"g": {Scenario: "not_in_org"},
	}
	results := []matcher.LeadResult{
		{LeadID: "a", Decision: matcher.DecisionMatch, CRMID: "003A", AccountID: "001A"},
		{LeadID: "b", Decision: matcher.DecisionMatch, CRMID: "003B", AccountID: "001X"}, // right person (its Contact), wrong account
		{LeadID: "c", Decision: matcher.DecisionPossible, CRMID: "003C"},
		{LeadID: "d", Decision: matcher.DecisionNone},
		{LeadID: "e", Decision: matcher.DecisionMatch, CRMID: "003Z", AccountID: "001Z"}, // a false match
		{LeadID: "f", Decision: matcher.DecisionPossible, CRMID: "003Q"},                 // possible, wrong person
		{LeadID: "g", Decision: matcher.DecisionPossible, CRMID: "003R"},                 // possible for somebody not in the org
		{LeadID: "zz", Decision: matcher.DecisionNone},                                   // not in the truth
	}
	q := scoreLeads(results, truth)
	want := leadQuality{leads: 7, inOrg: 4, matched: 3, matchedRight: 2, foundRight: 3, falseNotInOrg: 1, possibleNotInOrg: 1,
		accountKnown: 2, accountRight: 1, accountSpurious: 1, missingFromTruth: 1}
	got := q
	got.scenarios = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quality\n got %+v\nwant %+v", got, want)
	}
	if s := q.scenarios["typo"]; *s != (scenarioQuality{n: 2, possibleRight: 1, other: 1}) {
		t.Errorf("typo scenario %+v", *s)
	}
	if s := q.scenarios["namesake"]; *s != (scenarioQuality{n: 1, matchWrong: 1}) {
		t.Errorf("namesake scenario %+v", *s)
	}

	accTruth := map[string]input.AccountTruth{"s1": {CRMAccountID: "001A"}, "s2": {}, "s3": {CRMAccountID: "001C"}, "s4": {}}
	qa := scoreCompanies([]matcher.CompanyResult{
		{AccountID: "s1", Decision: matcher.DecisionMatch, CRMAccountID: "001A"},
		{AccountID: "s2", Decision: matcher.DecisionNone},
		{AccountID: "s3", Decision: matcher.DecisionPossible, CRMAccountID: "001C"}, // not matched: counts as wrong
		{AccountID: "s4", Decision: matcher.DecisionMatch, CRMAccountID: "001D"},
	}, accTruth)
	if qa != (companyQuality{accounts: 4, inOrg: 2, matched: 2, matchedRight: 1, correct: 2}) {
		t.Errorf("company quality %+v", qa)
	}
}
