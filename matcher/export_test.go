package matcher

import "context"

// PrepareForBench normalises the CRM people and leads of in on one
// goroutine, for BenchmarkPrepareWorld (package matcher_test, which may
// import fixtures: fixtures imports matcher, so package matcher's own tests
// cannot).
func PrepareForBench(ctx context.Context, in Input) error {
	if _, _, err := prepareCRM(ctx, in.People, in.Accounts, 1); err != nil {
		return err
	}
	_, err := prepareLeads(ctx, in.Leads, 1)
	return err
}
