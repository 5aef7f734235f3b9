package benchmarks

// The review page (report.html) of a large run, against matches.parquet of
// the same rows written in the same run: the page must stay under about
// 20 MB and take a few seconds at 1,000,000 leads, so the figure to read is
// the ratio of the two times (and the page's size), not absolute times on a
// shared machine:
//
//	go test -run '^$' -bench ReviewPage -benchtime 1x ./benchmarks/

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/matcher"
)

// reviewInput is a page input of n leads (leadResults: a third possible)
// against 2n CRM people, with n/3 writeback actions and rejects.
func reviewInput(n int) *review.Input {
	res := leadResults(n)
	in := &review.Input{
		Run:           review.Run{Command: "run", RunID: "bench", Started: time.Now(), Ended: time.Now(), Status: "succeeded"},
		AutoThreshold: 0.95, ReviewThreshold: 0.2, LeadPrior: matcher.LeadPrior(nil, 2*n),
		Results: res, MaxRows: review.DefaultMaxRows,
	}
	in.Leads = make([]matcher.Lead, n)
	for i := range in.Leads {
		in.Leads[i] = matcher.Lead{LeadID: res[i].LeadID, FirstName: firstNames[i%len(firstNames)], LastName: lastNames[i%len(lastNames)],
			Email: "someone@example.com", CurrentCompany: company(i % 5000), CurrentTitle: titles[i%len(titles)], City: cities[i%len(cities)],
			Country: countries[i%len(countries)], OwnerEmail: "owner" + fmt.Sprint(i%50) + "@acme.com", PastCompanies: []string{company(i % 777)}}
	}
	in.People = make([]matcher.Person, 2*n)
	for i := range in.People {
		in.People[i] = matcher.Person{ID: fmt.Sprintf("003%015d", i), Object: "Contact", FirstName: firstNames[i%len(firstNames)],
			LastName: lastNames[i%len(lastNames)], Company: company(i % 5000), Title: titles[i%len(titles)], AccountID: fmt.Sprintf("001%015d", i%(n/10))}
	}
	acts := make([]review.Action, 0, n/3)
	for i := 0; i < n; i += 3 {
		a := review.Action{LeadID: res[i].LeadID, Kind: "writeback", Status: "done", Object: "Contact", TargetID: res[i].CRMID}
		if i%300 == 0 {
			a.Status, a.ErrorCode, a.ErrorMessage = "failed", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"
		}
		acts = append(acts, a)
	}
	in.Actions = slices.Values(acts)
	for i := range 5000 {
		in.Rejects = append(in.Rejects, input.Reject{File: "leads.csv", Line: i + 2, Reason: "wrong_column_count", Detail: "17 fields, header has 16",
			Raw: "urn:li:x,Anna,Keller,anna@example.com,,,,,,,,,,,,,"})
	}
	in.Stats.LeadBlocks = []matcher.BlockStats{{Key: "email", Pairs: int64(n)}, {Key: "company+surname", Pairs: int64(3 * n)}}
	return in
}

// BenchmarkReviewPage writes report.html and matches.parquet of the same
// results, and reports both times, their ratio and the page's size.
func BenchmarkReviewPage(b *testing.B) {
	for _, n := range ioSizes {
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
			in := reviewInput(n)
			dir := b.TempDir()
			page, matches := filepath.Join(dir, review.FileName), filepath.Join(dir, report.MatchesFile)
			var pageT, parquetT time.Duration
			for b.Loop() {
				t := time.Now()
				if err := review.WriteFile(page, in); err != nil {
					b.Fatal(err)
				}
				pageT += time.Since(t)
				t = time.Now()
				if err := report.WriteMatches(context.Background(), matches, "bench", in.Results); err != nil {
					b.Fatal(err)
				}
				parquetT += time.Since(t)
			}
			fi, err := os.Stat(page)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(pageT.Seconds()/float64(b.N), "page-s")
			b.ReportMetric(parquetT.Seconds()/float64(b.N), "matches.parquet-s")
			b.ReportMetric(pageT.Seconds()/parquetT.Seconds(), "page/parquet")
			b.ReportMetric(float64(fi.Size())/(1<<20), "page-MiB")
			if fi.Size() > 20<<20 {
				b.Errorf("report.html is %d MiB, over 20", fi.Size()>>20)
			}
		})
	}
}
