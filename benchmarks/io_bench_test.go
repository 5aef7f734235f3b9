package benchmarks

// I/O benchmarks for `navsync match`: reading Sales Navigator lead exports
// and the org snapshot (Bulk 2.0 CSV), and writing matches.parquet. Every
// size runs beside a 100k-lead / 200k-CRM-row baseline in the same run, so
// the figures to compare are the rows/s of the two sizes (a ratio near 1
// means linear scaling), not absolute times on a shared machine:
//
//	go test -run '^$' -bench 'Read|Write' -benchtime 1x ./benchmarks/

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// ioSizes are the lead counts benchmarked; the CRM has twice as many rows.
var ioSizes = []int{100_000, 1_000_000}

var (
	firstNames = []string{"Anna", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomoko", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe"}
	lastNames  = []string{"Keller", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Svensson", "Tanaka", "Umarov", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "O'Neill", "García", "Müller", "Nguyen"}
	titles     = []string{"Software Engineer", "VP Sales", "Head of Marketing", "CTO", "Account Executive", "Data Scientist", "Product Manager", "CFO", "Engineering Manager", "Sales Development Representative"}
	countries  = []string{"United States", "DE", "France", "GB", "Japan", "BR", "India", "CA"}
	cities     = []string{"Berlin", "San Francisco", "Paris", "London", "Tokyo", "São Paulo", "Bangalore", "Toronto"}
)

func company(i int) string { return "Company " + strconv.Itoa(i) + " GmbH" }

// writeLeadsCSV writes n Sales Navigator leads in the export's column order.
func writeLeadsCSV(tb testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	w.WriteString("lead_id,profile_url,first_name,last_name,email,phone,current_company,current_company_domain,current_title,past_company,past_title,city,state,country,owner_email,lead_list\n")
	var b []byte
	for i := range n {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		co := r.IntN(n / 20)
		b = b[:0]
		b = append(b, `"urn:li:fs_salesProfile:(ACwAAA`...)
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, `,NAME_SEARCH,x1)"`...)
		b = append(b, ",https://www.linkedin.com/sales/lead/ACwAAA"...)
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, ',')
		b = append(b, fn...)
		b = append(b, ',')
		b = append(b, `"`...)
		b = append(b, ln...)
		b = append(b, `"`...)
		b = append(b, ',')
		if r.IntN(2) == 0 {
			b = append(b, fn...)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, "@mail.example"...)
		}
		b = append(b, ',')
		if r.IntN(3) == 0 {
			b = append(b, "+49 30 "...)
			b = strconv.AppendInt(b, int64(1000000+r.IntN(8999999)), 10)
		}
		b = append(b, ',')
		b = append(b, company(co)...)
		b = append(b, ",company"...)
		b = strconv.AppendInt(b, int64(co), 10)
		b = append(b, ".example,"...)
		b = append(b, titles[r.IntN(len(titles))]...)
		b = append(b, ",\""...)
		b = append(b, company(r.IntN(n/20))...)
		b = append(b, '|')
		b = append(b, company(r.IntN(n/20))...)
		b = append(b, "\","...)
		b = append(b, titles[r.IntN(len(titles))]...)
		b = append(b, '|')
		b = append(b, titles[r.IntN(len(titles))]...)
		c := r.IntN(len(cities))
		b = append(b, ',')
		b = append(b, cities[c]...)
		b = append(b, ",,"...)
		b = append(b, countries[c]...)
		b = append(b, ",owner"...)
		b = strconv.AppendInt(b, int64(r.IntN(200)), 10)
		b = append(b, "@corp.example,Target accounts Q4\n"...)
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// writeSnapshot writes an org snapshot of about crmRows people (60%
// Contacts, 40% Leads) and one Account per 20 people, all values quoted as
// Bulk 2.0 writes them.
func writeSnapshot(tb testing.TB, dir string, crmRows int) {
	r := rand.New(rand.NewPCG(2, uint64(crmRows)))
	create := func(name, header string, n int, row func(b []byte, i int) []byte) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString(header)
		var b []byte
		for i := range n {
			b = row(b[:0], i)
			w.Write(b)
		}
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		f.Close()
	}
	q := func(b []byte, s string) []byte { // a quoted field and a comma
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"', ',')
	}
	qid := func(b []byte, prefix string, i int) []byte {
		b = append(b, '"')
		b = append(b, prefix...)
		s := strconv.Itoa(i)
		for k := len(s); k < 15; k++ {
			b = append(b, '0')
		}
		b = append(b, s...)
		return append(b, '"', ',')
	}
	accounts := crmRows / 20
	contacts := crmRows * 6 / 10
	create("Account.csv", `"Id","Name","Website","Phone","BillingStreet","BillingCity","BillingState","BillingPostalCode","BillingCountry","NumberOfEmployees","Industry"`+"\n", accounts, func(b []byte, i int) []byte {
		b = qid(b, "001", i)
		b = q(b, company(i))
		b = q(b, "https://www.company"+strconv.Itoa(i)+".example")
		b = q(b, "")
		b = q(b, strconv.Itoa(r.IntN(200))+" Main Street")
		b = q(b, cities[i%len(cities)])
		b = q(b, "")
		b = q(b, strconv.Itoa(10000+r.IntN(89999)))
		b = q(b, countries[i%len(countries)])
		b = q(b, strconv.Itoa(r.IntN(5000)))
		b = append(b, `"Software"`+"\n"...)
		return b
	})
	create("Contact.csv", `"Id","FirstName","LastName","Email","Phone","MobilePhone","AccountId","Account.Name","Title","MailingCity","MailingState","MailingCountry","OwnerId"`+"\n", contacts, func(b []byte, i int) []byte {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		a := r.IntN(accounts)
		b = qid(b, "003", i)
		b = q(b, fn)
		b = q(b, ln)
		b = q(b, fn+"."+strconv.Itoa(i)+"@company"+strconv.Itoa(a)+".example")
		b = q(b, "+1 415 555 "+strconv.Itoa(1000+r.IntN(8999)))
		b = q(b, "")
		b = qid(b, "001", a)
		b = q(b, company(a))
		b = q(b, titles[r.IntN(len(titles))])
		b = q(b, cities[a%len(cities)])
		b = q(b, "")
		b = q(b, countries[a%len(countries)])
		b = qid(b, "005", r.IntN(200))
		b[len(b)-1] = '\n'
		return b
	})
	create("Lead.csv", `"Id","FirstName","LastName","Email","Phone","MobilePhone","Company","Title","Website","Street","City","State","PostalCode","Country","IsConverted","ConvertedContactId","ConvertedAccountId","OwnerId"`+"\n", crmRows-contacts, func(b []byte, i int) []byte {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		a := r.IntN(accounts)
		b = qid(b, "00Q", i)
		b = q(b, fn)
		b = q(b, ln)
		b = q(b, fn+"."+strconv.Itoa(i)+"@company"+strconv.Itoa(a)+".example")
		b = q(b, "")
		b = q(b, "+44 20 7946 "+strconv.Itoa(1000+r.IntN(8999)))
		b = q(b, company(a))
		b = q(b, titles[r.IntN(len(titles))])
		b = q(b, "")
		b = q(b, "")
		b = q(b, cities[a%len(cities)])
		b = q(b, "")
		b = q(b, "")
		b = q(b, countries[a%len(countries)])
		b = q(b, "false")
		b = q(b, "")
		b = q(b, "")
		b = qid(b, "005", r.IntN(200))
		b[len(b)-1] = '\n'
		return b
	})
}

// cpuTime is the CPU time (user + system) this process has used. The box
// is shared, so CPU seconds say more than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs f b.N times and reports rows/s of wall time and CPU
// seconds per op.
func measure(b *testing.B, rows int, f func()) {
	runtime.GC()
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		f()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

func fileSize(tb testing.TB, paths ...string) int64 {
	var n int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			tb.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// BenchmarkReadLeads reads a Sales Navigator lead export.
func BenchmarkReadLeads(b *testing.B) {
	for _, n := range ioSizes {
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "leads.csv")
			writeLeadsCSV(b, path, n)
			b.SetBytes(fileSize(b, path))
			measure(b, n, func() {
				got, err := input.ReadLeads(context.Background(), path)
				if err != nil || len(got.Leads) != n {
					b.Fatalf("%v, %d leads", err, len(got.Leads))
				}
			})
		})
	}
}

// BenchmarkReadSnapshot reads an org snapshot of 2× the lead count.
func BenchmarkReadSnapshot(b *testing.B) {
	for _, n := range ioSizes {
		b.Run(fmt.Sprintf("crm=%d", 2*n), func(b *testing.B) {
			dir := b.TempDir()
			writeSnapshot(b, dir, 2*n)
			b.SetBytes(fileSize(b, filepath.Join(dir, "Contact.csv"), filepath.Join(dir, "Lead.csv"), filepath.Join(dir, "Account.csv")))
			measure(b, 2*n+2*n/20, func() {
				snap, err := input.ReadSnapshot(context.Background(), dir, input.SnapshotOptions{})
				if err != nil || len(snap.People) != 2*n {
					b.Fatalf("%v, %d people", err, len(snap.People))
				}
			})
		})
	}
}

// BenchmarkReadInputs reads leads and snapshot together, as navsync match
// does (the files in parallel).
func BenchmarkReadInputs(b *testing.B) {
	for _, n := range ioSizes {
		b.Run(fmt.Sprintf("leads=%d/crm=%d", n, 2*n), func(b *testing.B) {
			dir := b.TempDir()
			leads := filepath.Join(dir, "leads.csv")
			writeLeadsCSV(b, leads, n)
			writeSnapshot(b, dir, 2*n)
			measure(b, 3*n, func() {
				in, err := input.Read(context.Background(), input.Sources{CRMDir: dir, Leads: []string{leads}}, input.SnapshotOptions{})
				if err != nil || len(in.Input.Leads) != n || len(in.Input.People) != 2*n {
					b.Fatalf("%v", err)
				}
			})
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}

// leadResults makes n results shaped like the matcher's: a third matches,
// a third possible, a third none without candidate.
func leadResults(n int) []matcher.LeadResult {
	r := rand.New(rand.NewPCG(3, uint64(n)))
	levels := []string{"exact", "fuzzy_strong", "fuzzy_weak", "different", "missing"}
	keys := [][]string{{"email"}, {"surname_phonetic+initial", "company+surname"}, nil}
	out := make([]matcher.LeadResult, n)
	for i := range out {
		res := &out[i]
		res.LeadID = "urn:li:fs_salesProfile:(ACwAAA" + strconv.FormatInt(int64(i), 36) + ",NAME_SEARCH,x1)"
		switch i % 3 {
		case 0, 1:
			res.Decision = matcher.DecisionMatch
			if i%3 == 1 {
				res.Decision = matcher.DecisionPossible
				res.Reason = "runner-up too close"
				res.RunnerUpID = fmt.Sprintf("003%015d", r.IntN(2*n))
				res.RunnerUpProbability = r.Float64()
			}
			res.CRMObject = "Contact"
			res.CRMID = fmt.Sprintf("003%015d", r.IntN(2*n))
			res.Probability = r.Float64()
			res.MatchWeight = r.Float64()*40 - 10
			res.Fields = make([]matcher.FieldScore, len(matcher.LeadFields))
			for k, f := range matcher.LeadFields {
				res.Fields[k] = matcher.FieldScore{Field: f, Level: levels[r.IntN(len(levels))], Weight: r.Float64()*10 - 3}
			}
			res.BlockingKeys = keys[i%2]
			res.JobChange = r.IntN(10) == 0
			res.AccountID = fmt.Sprintf("001%015d", r.IntN(n/10))
			res.AccountProbability = r.Float64()
		default:
			res.Decision = matcher.DecisionNone
			res.Reason = "no candidate"
		}
	}
	return out
}

// BenchmarkWriteMatches writes matches.parquet.
func BenchmarkWriteMatches(b *testing.B) {
	for _, n := range ioSizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			rows := leadResults(n)
			dir := b.TempDir()
			measure(b, n, func() {
				if err := report.WriteMatches(context.Background(), filepath.Join(dir, report.MatchesFile), "bench", rows); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(fileSize(b, filepath.Join(dir, report.MatchesFile)))/float64(n), "bytes/row")
		})
	}
}

// BenchmarkMatchEndToEnd runs the navsync binary's match command, files in
// and Parquet out: a generated world is written as files (outside the
// timer; kept in NAVSYNC_BENCH_E2E_DIR when set, so later runs reuse it),
// the binary is built from ../cmd/navsync, and `navsync match --crm
// --leads --accounts --out` is timed as one process: read, normalise,
// block, score, decide, write matches, accounts and rejects. The process
// is the measurement, so the command's own GC setting applies. Reported:
// wall seconds, CPU seconds (user + system of the process), peak resident
// memory, and the read, match and write stage times the command prints.
// Sizes: 200k CRM people (100k leads) as the baseline in the same run, and
// 2M people (1M leads, 200k Accounts, 50k Sales Navigator accounts: the
// issue's ≤ 60 s, ≤ 8 GiB target). NAVSYNC_BENCH_E2E_BASE and
// NAVSYNC_BENCH_E2E_PEOPLE change the sizes; NAVSYNC_BENCH_CPUPROFILE=PREFIX
// writes PREFIX-<people>.prof.
//
//	go test -run '^$' -bench MatchEndToEnd -benchtime 1x -timeout 30m ./benchmarks/
func BenchmarkMatchEndToEnd(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "navsync")
	build := exec.Command("go", "build", "-o", bin, "../cmd/navsync") // go test puts its own go first on PATH
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var baseWall float64
	for k, people := range []int{envInt("NAVSYNC_BENCH_E2E_BASE", 200_000), envInt("NAVSYNC_BENCH_E2E_PEOPLE", 2_000_000)} {
		b.Run(fmt.Sprintf("leads=%d/crm=%d", people/2, people), func(b *testing.B) {
			dir := e2eWorld(b, people)
			out := b.TempDir()
			args := []string{"match", "--crm", filepath.Join(dir, "crm"),
				"--leads", filepath.Join(dir, "salesnav", "leads.csv"),
				"--accounts", filepath.Join(dir, "salesnav", "accounts.csv"),
				"--out", out, "--run-id", "bench"}
			if p := os.Getenv("NAVSYNC_BENCH_CPUPROFILE"); p != "" {
				args = append(args, "--cpuprofile", fmt.Sprintf("%s-%d.prof", p, people))
			}
			var wall, cpu, peak float64
			var stages map[string]float64
			for b.Loop() {
				cmd := exec.Command(bin, args...)
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				t0 := time.Now()
				err := cmd.Run()
				wall = time.Since(t0).Seconds()
				if err != nil {
					b.Fatalf("navsync match: %v\n%s", err, stderr.String())
				}
				cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					peak = float64(ru.Maxrss) * 1024 / (1 << 30) // Linux: KiB
				}
				stages = stageTimes(b, stdout.String())
			}
			b.ReportMetric(wall, "wall-s")
			b.ReportMetric(cpu, "cpu-s")
			b.ReportMetric(peak, "peak-rss-GiB")
			for _, s := range []string{"read", "match", "write"} {
				b.ReportMetric(stages[s], s+"-s")
			}
			if k == 0 {
				baseWall = wall
			} else if baseWall > 0 {
				b.ReportMetric(wall/baseWall, "x-wall-vs-base")
			}
			b.Logf("%d leads x %d CRM people: %.1f s wall, %.1f s CPU, peak RSS %.2f GiB; read %.1f s, match %.1f s, write %.1f s",
				people/2, people, wall, cpu, peak, stages["read"], stages["match"], stages["write"])
		})
	}
}

// e2eWorld returns a folder holding a generated world of the given size
// (seed 11) as files: crm/, salesnav/. With NAVSYNC_BENCH_E2E_DIR it is
// kept there and reused by later runs.
func e2eWorld(b *testing.B, people int) string {
	root := os.Getenv("NAVSYNC_BENCH_E2E_DIR")
	if root == "" {
		root = b.TempDir()
	}
	dir := filepath.Join(root, fmt.Sprintf("seed=11-people=%d", people))
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	w, err := fixtures.Generate(fixtures.Options{Seed: 11, People: people})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	// The generated world is gigabytes of garbage now: hand it back to
	// the OS, so the timed navsync process does not share the machine's
	// memory with this one's leftovers.
	debug.FreeOSMemory()
	return dir
}

// stageTimes parses the "timings   read 8.6s, match 56s, ..." line of the
// match summary into seconds per stage.
func stageTimes(b *testing.B, summary string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.Lines(summary) {
		rest, ok := strings.CutPrefix(line, "timings")
		if !ok {
			continue
		}
		for part := range strings.SplitSeq(strings.TrimSpace(rest), ",") {
			name, d, _ := strings.Cut(strings.TrimSpace(part), " ")
			v, err := time.ParseDuration(d)
			if err != nil {
				b.Fatalf("timings %q: %v", part, err)
			}
			out[name] = v.Seconds()
		}
	}
	return out
}
