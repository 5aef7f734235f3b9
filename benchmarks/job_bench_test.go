package benchmarks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// BenchmarkJob runs the whole job (navsync run: connect, extract through
// Bulk API 2.0, read, match, plan, apply, report) against the in-process
// simulator org through sObject Collections only, with the default bulk
// threshold, and through Bulk API 2.0 ingest jobs only, on a 10,000-person world (the baseline) and a
// 100,000-person world (target: under 2 minutes end to end). It reports
// each stage's seconds, the API calls the writes spent against their
// floor (one call per 200 records of an object through collections), and
// the ratio of the large world's wall time to the baseline's per record.
func BenchmarkJob(b *testing.B) {
	baseline := map[string]float64{} // path -> seconds per person at 10k
	for _, people := range []int{10_000, 100_000} {
		w, err := fixtures.Generate(fixtures.Options{Seed: 5, People: people})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		if err := w.Write(dir); err != nil {
			b.Fatal(err)
		}
		// collections: every write through sObject Collections; default:
		// the shipped bulk_threshold (10,000 records of an object);
		// ingest: every object through Bulk API 2.0 ingest jobs.
		for _, path := range []string{"collections", "default", "ingest"} {
			b.Run(fmt.Sprintf("people=%d/%s", people, path), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					srv, hs := jobOrg(b, w)
					cfg := jobConfig(b, dir)
					switch path {
					case "collections":
						cfg.Writeback.BulkThreshold = 1 << 30
					case "ingest":
						cfg.Writeback.BulkThreshold = 1
					}
					b.StartTimer()
					start := time.Now()
					res, err := batch.Run(context.Background(), batch.RunOptions{Config: cfg, Log: slog.New(slog.DiscardHandler),
						Connect: jobConnect(srv, hs)})
					wall := time.Since(start)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					for _, st := range res.Summary.Stages {
						b.ReportMetric(st.Seconds, st.Stage+"-s")
					}
					writes := res.Summary.Actions[batch.KindWriteback][batch.StatusDone]
					floor := 0
					per := map[string]int{}
					for i, a := range res.Actions {
						if res.Outcomes[i].Status == batch.StatusDone {
							per[a.Object]++
						}
					}
					for _, n := range per {
						floor += (n + sfbulk.MaxCollection - 1) / sfbulk.MaxCollection
					}
					b.ReportMetric(wall.Seconds(), "wall-s")
					b.ReportMetric(float64(writes), "writes")
					b.ReportMetric(float64(res.Summary.APICalls.WriteCalls), "write-calls")
					b.ReportMetric(float64(floor), "collections-floor-calls")
					b.ReportMetric(float64(res.Summary.APICalls.Spent), "api-calls")
					per1 := wall.Seconds() / float64(people)
					if people == 10_000 {
						baseline[path] = per1
					} else if base := baseline[path]; base > 0 {
						b.ReportMetric(per1/base, "time-per-person-vs-10k")
					}
					hs.Close()
					srv.Close()
				}
			})
		}
	}
}

func jobOrg(b *testing.B, w *fixtures.World) (*sfsim.Server, *httptest.Server) {
	hs := httptest.NewUnstartedServer(nil)
	srv, err := sfsim.New(sfsim.Options{BaseURL: "http://" + hs.Listener.Addr().String(), DailyAPILimit: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	for _, tb := range w.CRMTables() {
		if err := srv.Load(tb.Object, tb.Header, tb.Rows); err != nil {
			b.Fatal(err)
		}
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	return srv, hs
}

func jobConfig(b *testing.B, dir string) *batch.Config {
	base := b.TempDir()
	cfg := batch.Defaults()
	cfg.Path = filepath.Join(base, "navsync.yaml")
	cfg.SalesNav = batch.SalesNavConfig{Leads: []string{filepath.Join(dir, "salesnav", "leads.csv")}, Accounts: []string{filepath.Join(dir, "salesnav", "accounts.csv")}}
	cfg.Reports.Dir = filepath.Join(base, "reports")
	cfg.State.Path = filepath.Join(base, "navsync.db")
	cfg.WorkDir = filepath.Join(base, "work")
	cfg.Safety.MaxWrites = 10_000_000
	return cfg
}

func jobConnect(srv *sfsim.Server, hs *httptest.Server) func(ctx context.Context, cfg *batch.Config, log *slog.Logger) (batch.Client, error) {
	return func(ctx context.Context, cfg *batch.Config, log *slog.Logger) (batch.Client, error) {
		admin := srv.AdminUser().Username
		_, rt, err := srv.IssueToken(admin)
		if err != nil {
			return nil, err
		}
		app := srv.ConnectedApp()
		ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: hs.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
			HTTPClient: hs.Client()}, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt, Username: admin}))
		if err != nil {
			return nil, err
		}
		return sfbulk.New(ctx, sfbulk.Config{HTTPClient: hs.Client(), ExpectOrgID: srv.OrgID(), PollInterval: 50 * time.Millisecond,
			MaxPollInterval: time.Second}, ts)
	}
}

// BenchmarkContacts creates contacts on behalf of 40 owners (a world whose
// Sales Navigator export holds many leads not in the org at known
// Accounts: about 20,000 to create) against the simulator, and reports the
// API calls per created contact against the floor of one create call per
// 200 contacts of an owner (the duplicate look-ups go through the
// integration user and are reported beside it).
func BenchmarkContacts(b *testing.B) {
	w, err := fixtures.Generate(fixtures.Options{Seed: 8, People: 30_000, SNLeads: 120_000, Users: 40})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := w.Write(dir); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		b.StopTimer()
		srv, hs := jobOrg(b, w)
		cfg := jobConfig(b, dir)
		app := srv.ConnectedApp()
		key := filepath.Join(filepath.Dir(cfg.Path), "jwt.key")
		if err := os.WriteFile(key, app.PrivateKeyPEM, 0o600); err != nil {
			b.Fatal(err)
		}
		for _, u := range srv.Records("User") {
			srv.SetApproved(u["Username"], true)
		}
		cfg.Salesforce.LoginURL, cfg.Salesforce.OrgID, cfg.Salesforce.Auth.ClientID = hs.URL, srv.OrgID(), app.ClientID
		cfg.Contacts.Enabled, cfg.Contacts.LeadSource = true, "Other"
		cfg.Contacts.Auth = batch.OwnerAuthConfig{Flow: batch.FlowJWT, PrivateKeyFile: key}
		cfg.Contacts.DailyAPIBudget = 10_000
		b.StartTimer()
		start := time.Now()
		res, err := batch.Run(context.Background(), batch.RunOptions{Config: cfg, Log: slog.New(slog.DiscardHandler), Connect: jobConnect(srv, hs)})
		wall := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		per := map[string]int{}
		created := 0
		for i, a := range res.Actions {
			if a.Kind == batch.KindCreateContact && res.Outcomes[i].Status == batch.StatusDone {
				per[a.OnBehalfOf]++
				created++
			}
		}
		floor := 0
		for _, n := range per {
			floor += (n + sfbulk.MaxCollection - 1) / sfbulk.MaxCollection
		}
		if created == 0 {
			b.Fatal("no contact created")
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(created), "contacts")
		b.ReportMetric(float64(len(per)), "owners")
		b.ReportMetric(float64(res.Summary.APICalls.OwnerCalls), "owner-calls")
		b.ReportMetric(float64(floor), "floor-calls")
		b.ReportMetric(float64(res.Summary.APICalls.OwnerCalls)/float64(created), "owner-calls/contact")
		b.ReportMetric(float64(res.Summary.APICalls.WriteCalls-res.Summary.APICalls.OwnerCalls), "integration-write-calls")
		for _, st := range res.Summary.Stages {
			if st.Stage == "apply" {
				b.ReportMetric(st.Seconds, "apply-s")
			}
		}
		hs.Close()
		srv.Close()
	}
}
