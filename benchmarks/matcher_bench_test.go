package benchmarks

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/navsync/navsync/benchmarks/internal/worldinput"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// Scale of BenchmarkMatcherScale: CRM people, Accounts and the lead counts
// matched against them. NAVSYNC_BENCH_PEOPLE (and _ACCOUNTS) shrink it for a
// quick look; the figures are for the defaults.
var (
	scalePeople   = envInt("NAVSYNC_BENCH_PEOPLE", 2_000_000)
	scaleAccounts = envInt("NAVSYNC_BENCH_ACCOUNTS", scalePeople/10)
	// 100k, 300k and 1M leads at the default scale.
	scaleLeads = []int{scalePeople / 20, scalePeople * 3 / 20, scalePeople / 2}
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var (
	scaleOnce  sync.Once
	scaleInput matcher.Input
	scaleErr   error
)

// scaleWorld generates the world once per process, outside any timer.
func scaleWorld() (matcher.Input, error) {
	scaleOnce.Do(func() {
		maxLeads := scaleLeads[len(scaleLeads)-1]
		w, err := fixtures.Generate(fixtures.Options{
			Seed: 42, People: scalePeople, Accounts: scaleAccounts, SNLeads: maxLeads, SNAccounts: scaleAccounts / 10,
		})
		if err != nil {
			scaleErr = err
			return
		}
		scaleInput = worldinput.FromWorld(w)
		w = nil
		runtime.GC()
	})
	return scaleInput, scaleErr
}

// cpuSeconds is the user and system CPU time of the process so far: on a
// shared machine it says more than the wall clock (2 cores: wall >= cpu/2).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakSampler records the peak of the memory the Go runtime holds from the
// OS (runtime/metrics: /memory/classes/total minus heap/released) while
// it runs.
type peakSampler struct {
	stop  chan struct{}
	done  chan struct{}
	start uint64 // mapped memory when sampling began (the input)
	peak  uint64
}

func startPeakSampler() *peakSampler {
	s := &peakSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64() - sample[1].Value.Uint64(); v > s.peak {
			s.peak = v
		}
	}
	read()
	s.start = s.peak
	go func() {
		defer close(s.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

func (s *peakSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.peak
}

// BenchmarkMatcherScale matches 100k, 300k and 1M Sales Navigator leads
// (plus 20,000 Sales Navigator accounts) against 2,000,000 CRM people and
// 200,000 Accounts, and reports seconds, candidate pairs per second and the
// peak memory of the process (the world itself included). World generation
// is outside the timer. Run it alone: make bench.
func BenchmarkMatcherScale(b *testing.B) {
	in, err := scaleWorld()
	if err != nil {
		b.Fatal(err)
	}
	base := map[int]float64{}
	for _, n := range scaleLeads {
		n = min(n, len(in.Leads))
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
			sub := in
			sub.Leads = in.Leads[:n]
			var secs, cpu float64
			var pairs int64
			var peak, before uint64
			for b.Loop() {
				runtime.GC()
				debug.FreeOSMemory()
				ps := startPeakSampler()
				c0 := cpuSeconds()
				t0 := time.Now()
				res, err := matcher.Match(context.Background(), sub, matcher.DefaultOptions())
				secs = time.Since(t0).Seconds()
				cpu = cpuSeconds() - c0
				peak = ps.Stop()
				before = ps.start
				if err != nil {
					b.Fatal(err)
				}
				pairs = res.Stats.CandidatePairs
				runtime.KeepAlive(res)
			}
			b.ReportMetric(secs, "s/match")
			b.ReportMetric(cpu, "cpu-s/match")
			b.ReportMetric(float64(pairs)/secs, "pairs/s")
			b.ReportMetric(float64(pairs), "pairs")
			b.ReportMetric(float64(peak)/(1<<30), "peak-GiB")
			b.ReportMetric(float64(peak-before)/(1<<30), "match-GiB")
			base[n] = secs
			if first := base[scaleLeads[0]]; first > 0 && n != scaleLeads[0] {
				b.ReportMetric(secs/first, "x-time-vs-smallest")
			}
			b.Logf("%d leads x %d CRM people x %d accounts: %.1f s (%.1f s of CPU), %d candidate pairs (%.0f/s), peak %.2f GiB of which %.2f GiB above the input (GOMAXPROCS %d)",
				n, len(sub.People), len(sub.Accounts), secs, cpu, pairs, float64(pairs)/secs, float64(peak)/(1<<30), float64(peak-before)/(1<<30), runtime.GOMAXPROCS(0))
		})
	}
}
