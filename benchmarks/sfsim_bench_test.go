package benchmarks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// BenchmarkSimBulkExport1M measures how fast the simulator serves a Bulk
// API 2.0 export of Contacts (records/s over HTTP, every page parsed for
// its rows) and its memory: the heap holding the org after seeding and the
// peak heap during the export. A 100k run in the same benchmark is the
// baseline; the 1M run reports its ratios to it.
func BenchmarkSimBulkExport1M(b *testing.B) {
	var base struct{ rate, heap float64 }
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			srv, heapMB := seedContacts(b, n)
			defer srv.Close()
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			tok, _, err := srv.IssueToken(srv.AdminUser().Username)
			if err != nil {
				b.Fatal(err)
			}
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			b.ResetTimer()
			start := time.Now()
			total := 0
			for i := 0; i < b.N; i++ {
				total += export(b, ts.URL, tok)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			wg.Wait()
			if total != n*b.N {
				b.Fatalf("exported %d records, want %d", total, n*b.N)
			}
			rate := float64(total) / elapsed.Seconds()
			peakMB := float64(peak.Load()) / (1 << 20)
			b.ReportMetric(rate, "records/s")
			b.ReportMetric(heapMB, "heap-MB-seeded")
			b.ReportMetric(peakMB, "peak-heap-MB")
			b.ReportMetric(heapMB*(1<<20)/float64(n), "heap-B/record")
			if n == 100_000 {
				base.rate, base.heap = rate, heapMB
			} else if base.rate > 0 {
				b.ReportMetric(rate/base.rate, "rate-vs-100k")
				b.ReportMetric(heapMB/base.heap, "heap-vs-100k")
			}
		})
	}
}

// seedContacts builds an org with n Contacts over n/10 Accounts and 50
// owners, returning the live heap in MB after seeding.
func seedContacts(b *testing.B, n int) (*sfsim.Server, float64) {
	b.Helper()
	srv, err := sfsim.New(sfsim.Options{DailyAPILimit: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	users := [][]string{}
	for i := 1; i <= 50; i++ {
		users = append(users, []string{sfid.New(sfid.User, "3t", uint64(i)), fmt.Sprintf("owner%d@bench.example", i), sfid.ProfileStandard})
	}
	if err := srv.Load("User", []string{"Id", "Username", "ProfileId"}, users); err != nil {
		b.Fatal(err)
	}
	accounts := [][]string{}
	for i := 1; i <= n/10; i++ {
		accounts = append(accounts, []string{sfid.New(sfid.Account, "3t", uint64(i)), fmt.Sprintf("Account %d Holdings", i), fmt.Sprintf("acct%d.example", i)})
	}
	if err := srv.Load("Account", []string{"Id", "Name", "Website"}, accounts); err != nil {
		b.Fatal(err)
	}
	header := []string{"Id", "FirstName", "LastName", "Email", "Phone", "Title", "AccountId", "MailingCity", "MailingCountry", "OwnerId", "Sales_Navigator_Lead_Id__c"}
	const chunk = 100_000
	for start := 1; start <= n; start += chunk {
		rows := make([][]string, 0, chunk)
		for i := start; i < start+chunk && i <= n; i++ {
			rows = append(rows, []string{
				sfid.New(sfid.Contact, "3t", uint64(i)), "First" + strconv.Itoa(i%5000), "Last" + strconv.Itoa(i),
				"person" + strconv.Itoa(i) + "@acct" + strconv.Itoa(i%(n/10)+1) + ".example", "+1 415 555 " + strconv.Itoa(1000+i%9000),
				"Director of Things", sfid.New(sfid.Account, "3t", uint64(i%(n/10)+1)), "San Francisco", "United States",
				users[i%50][0], "urn:li:fs_salesProfile:" + strconv.Itoa(i),
			})
		}
		if err := srv.Load("Contact", header, rows); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return srv, float64(ms.HeapAlloc) / (1 << 20)
}

// export runs one Bulk 2.0 query job and reads every page, returning the
// number of data rows.
func export(b *testing.B, base, tok string) int {
	body, _ := json.Marshal(map[string]string{"operation": "query", "query": "SELECT Id, FirstName, LastName, Email, Phone, Title, AccountId, Account.Name, MailingCity, MailingCountry, OwnerId FROM Contact"})
	var job struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	call := func(method, url string, body []byte) *http.Response {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	api := base + "/services/data/v62.0/jobs/query"
	res := call("POST", api, body)
	_ = json.NewDecoder(res.Body).Decode(&job)
	res.Body.Close()
	for job.State != "JobComplete" {
		if job.State == "Failed" || job.State == "Aborted" {
			b.Fatalf("job %s", job.State)
		}
		time.Sleep(20 * time.Millisecond)
		res := call("GET", api+"/"+job.ID, nil)
		_ = json.NewDecoder(res.Body).Decode(&job)
		res.Body.Close()
	}
	rows := 0
	locator := ""
	for {
		url := api + "/" + job.ID + "/results"
		if locator != "" {
			url += "?locator=" + locator
		}
		res := call("GET", url, nil)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		lines := 0
		for sc.Scan() {
			lines++
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		rows += lines - 1 // a header row on every page
		locator = res.Header.Get("Sforce-Locator")
		if locator == "null" || locator == "" {
			break
		}
	}
	return rows
}
