package benchmarks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/navsync/navsync/fixtures"
)

// BenchmarkGenerateWorld1M generates a world of 1,000,000 CRM people and
// writes its files, beside a 100,000-people baseline. Reported: people
// generated and written per second, and megabytes written.
func BenchmarkGenerateWorld1M(b *testing.B) {
	for _, size := range []struct {
		name   string
		people int
	}{{"people=100k", 100_000}, {"people=1M", 1_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			dir := b.TempDir()
			var written int64
			for i := 0; i < b.N; i++ {
				w, err := fixtures.Generate(fixtures.Options{Seed: int64(i + 1), People: size.people})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(dir); err != nil {
					b.Fatal(err)
				}
				written = dirSize(b, dir)
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(size.people)*float64(b.N)/secs, "people/s")
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
