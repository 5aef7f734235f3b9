package matcher

import (
	"context"
	"testing"
)

func BenchmarkMatchSynthetic(b *testing.B) {
	in := syntheticInput(20_000, 3)
	b.ResetTimer()
	for range b.N {
		res, err := Match(context.Background(), in, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Stats.CandidatePairs), "pairs")
	}
}

func BenchmarkPrepCRM(b *testing.B) {
	in := syntheticInput(20_000, 3)
	b.ResetTimer()
	for range b.N {
		if _, _, err := prepareCRM(context.Background(), in.People, in.Accounts, 1); err != nil {
			b.Fatal(err)
		}
	}
}
