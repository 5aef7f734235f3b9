package benchmarks

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/navsync/navsync/fixtures"
)

// BenchmarkGenerateWorld1M generates a world of 1,000,000 CRM people and
// writes its files (as navsync fixtures does), beside a 100,000-people
// baseline in the same run. Reported: people per second of wall time, the
// wall seconds of Generate and of Write, CPU seconds (user + system; the box
// is shared, so they say more than wall time) and megabytes written.
func BenchmarkGenerateWorld1M(b *testing.B) {
	for _, size := range []struct {
		name   string
		people int
	}{{"people=100k", 100_000}, {"people=1M", 1_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			dir := b.TempDir()
			var written int64
			var gen, write time.Duration
			runtime.GC()
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				w, err := fixtures.Generate(fixtures.Options{Seed: int64(i + 1), People: size.people})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := w.Write(dir); err != nil {
					b.Fatal(err)
				}
				gen, write = gen+t1.Sub(t0), write+time.Since(t1)
			}
			b.StopTimer()
			cpu := cpuTime() - c0
			written = dirSize(b, dir)
			n := float64(b.N)
			b.ReportMetric(float64(size.people)*n/b.Elapsed().Seconds(), "people/s")
			b.ReportMetric(gen.Seconds()/n, "gen-s/op")
			b.ReportMetric(write.Seconds()/n, "write-s/op")
			b.ReportMetric(cpu.Seconds()/n, "cpu-s/op")
			b.ReportMetric(float64(written)/1e6, "MB")
		})
	}
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
