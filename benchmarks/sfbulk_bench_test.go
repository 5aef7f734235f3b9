package benchmarks

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// simOrg starts the simulator on a loopback listener with n Contacts and
// returns a client acting as its integration user.
func simOrg(b *testing.B, n int) (*sfbulk.Client, *sfsim.Server) {
	b.Helper()
	s, err := sfsim.New(sfsim.Options{DailyAPILimit: 10_000_000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	header := []string{"Id", "FirstName", "LastName", "Email", "Phone", "Title", "MailingCity", "MailingState", "MailingCountry"}
	const batch = 100_000
	for start := 0; start < n; start += batch {
		rows := make([][]string, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			last := "Lastname" + strconv.Itoa(i%5000)
			if i%50 == 0 {
				last = `O"Brien, Jr.` // quoting on some rows, as in real data
			}
			rows = append(rows, []string{sfid.New(sfid.Contact, "9b", uint64(i+1)), "First" + strconv.Itoa(i%997), last,
				fmt.Sprintf("person%d@example%d.com", i, i%300), fmt.Sprintf("+1 415 555 %04d", i%10000),
				"Senior Director of Sales", "San Francisco", "CA", "United States"})
		}
		if err := s.Load("Contact", header, rows); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	app := s.ConnectedApp()
	_, rt, err := s.IssueToken(s.AdminUser().Username)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret},
		sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt}))
	if err != nil {
		b.Fatal(err)
	}
	c, err := sfbulk.New(context.Background(), sfbulk.Config{PollInterval: 5 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond}, ts)
	if err != nil {
		b.Fatal(err)
	}
	return c, s
}

// liveHeap measures live heap (after a full GC) above a baseline, so the
// figure is what the export retains, not garbage the collector has not yet
// reclaimed (with the simulator's store in the same heap, GOGC lets garbage
// grow to hundreds of MB before a cycle).
type liveHeap struct {
	base, peak uint64
}

func heapAfterGC() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func (h *liveHeap) sample() {
	if v := heapAfterGC(); v > h.peak {
		h.peak = v
	}
}

func (h *liveHeap) peakMB() float64 {
	if h.peak < h.base {
		return 0
	}
	return float64(h.peak-h.base) / (1 << 20)
}

// BenchmarkSfbulkBulkExport is the end-to-end Bulk 2.0 export: job
// creation, polling, every results page over loopback HTTP, CSV parsing and
// a callback per row. The timed pass measures records/s with the collector
// running as it would; a second, untimed pass samples live heap (after a GC)
// every 25,000 rows for peak-live-MB. Compare the 100k and 1M figures for
// flatness. The simulator runs in the same process: its store is in the
// baseline, but its job state (4 bytes per result row) and page buffers are
// in the figure.
func BenchmarkSfbulkBulkExport(b *testing.B) {
	soql := "SELECT Id, FirstName, LastName, Email, Phone, Title, MailingCity, MailingState, MailingCountry FROM Contact"
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			c, _ := simOrg(b, n)
			export := func(fn func(int64)) sfbulk.QueryStats {
				var rows int64
				st, err := c.BulkQuery(context.Background(), soql, sfbulk.BulkQueryOptions{}, func(header, row []string) error {
					rows++
					fn(rows)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if st.Rows != int64(n) {
					b.Fatalf("%d rows, want %d", st.Rows, n)
				}
				return st
			}
			runtime.GC()
			var st sfbulk.QueryStats
			b.ResetTimer()
			for b.Loop() {
				st = export(func(int64) {})
			}
			b.StopTimer()
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(st.Rows)/sec, "records/s")
			b.ReportMetric(float64(st.Bytes)/sec/1e6, "MB/s")
			h := &liveHeap{base: heapAfterGC()}
			export(func(rows int64) {
				if rows%25_000 == 0 {
					h.sample()
				}
			})
			b.ReportMetric(h.peakMB(), "peak-live-MB")
		})
	}
}

// bulkPage is a 50,000-row Contact results page as Bulk 2.0 writes it.
func bulkPage() string {
	var sb strings.Builder
	sb.WriteString(`"Id","FirstName","LastName","Email","Phone","AccountId","Account.Name","Title","MailingCity","MailingCountry","OwnerId"` + "\n")
	for i := range 50_000 {
		last := "Lastname" + strconv.Itoa(i%5000)
		if i%50 == 0 {
			last = `O""Brien, Jr.`
		}
		fmt.Fprintf(&sb, `"%s","First%d","%s","person%d@example.com","+1 415 555 %04d","%s","Acme Widgets %d, Inc.","Senior Director of Sales","San Francisco","United States","005Ho000001aBcDEF"`+"\n",
			sfid.New(sfid.Contact, "9b", uint64(i+1)), i%997, last, i, i%10000, sfid.New(sfid.Account, "9b", uint64(i/7+1)), i/7)
	}
	return sb.String()
}

// BenchmarkSfbulkCSVParse compares the client's RowParser with
// encoding/csv (ReuseRecord) on the same page: the ratio is the point.
func BenchmarkSfbulkCSVParse(b *testing.B) {
	page := bulkPage()
	b.Run("sfbulk.RowParser", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			p := sfbulk.NewRowParser(page, ',')
			for {
				if _, err := p.Next(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			r := csv.NewReader(strings.NewReader(page))
			r.ReuseRecord = true
			for {
				if _, err := r.Read(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
}

// BenchmarkSfbulkCollectionsCreate creates Contacts through sObject
// Collections (200 per call) against the simulator.
func BenchmarkSfbulkCollectionsCreate(b *testing.B) {
	const n = 20_000
	c, _ := simOrg(b, 0)
	recs := make([]sfbulk.Record, n)
	for i := range recs {
		recs[i] = sfbulk.Record{"FirstName": "Bench", "LastName": "Contact" + strconv.Itoa(i), "Email": fmt.Sprintf("b%d@example.com", i), "Title": "CTO"}
	}
	calls0 := c.Usage().Calls
	b.ResetTimer()
	for b.Loop() {
		res, err := c.Create(context.Background(), "Contact", recs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if !r.Success {
				b.Fatalf("create failed: %v", r.Err())
			}
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(n/sec, "records/s")
	b.ReportMetric(float64(c.Usage().Calls-calls0)/float64(b.N)/sec, "calls/s")
}

// BenchmarkSfbulkBulkExportClientOnly streams 1,000,000 rows (20 pages of
// 50,000) from a server that replays one pre-built page, so the figure is
// the client's own ceiling (HTTP, page download, parsing, callback) without
// the simulator's query and CSV generation. Its ratio to
// BenchmarkSfbulkBulkExport shows where the end-to-end time goes.
func BenchmarkSfbulkBulkExportClientOnly(b *testing.B) {
	page := []byte(bulkPage())
	const pages, perPage = 20, 50_000
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/data/v62.0/jobs/query", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"id":"750R00000000001AAA","state":"UploadComplete"}`))
	})
	mux.HandleFunc("GET /services/data/v62.0/jobs/query/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":"750R00000000001AAA","state":"JobComplete","numberRecordsProcessed":%d}`, pages*perPage)
	})
	mux.HandleFunc("GET /services/data/v62.0/jobs/query/{id}/results", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("locator"))
		next := "null"
		if n+1 < pages {
			next = strconv.Itoa(n + 1)
		}
		w.Header().Set("Sforce-Locator", next)
		w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(perPage))
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	org, user := sfid.New(sfid.Organization, "9b", 1), sfid.New(sfid.User, "9b", 1)
	ts := sfbulk.StaticTokenSource{T: &sfbulk.Token{AccessToken: "x", InstanceURL: srv.URL, ID: srv.URL + "/id/" + org + "/" + user}}
	c, err := sfbulk.New(context.Background(), sfbulk.Config{PollInterval: time.Millisecond}, ts)
	if err != nil {
		b.Fatal(err)
	}
	var st sfbulk.QueryStats
	for b.Loop() {
		st, err = c.BulkQuery(context.Background(), "SELECT Id FROM Contact", sfbulk.BulkQueryOptions{}, func(h, row []string) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(st.Rows)/sec, "records/s")
	b.ReportMetric(float64(st.Bytes)/sec/1e6, "MB/s")
}
