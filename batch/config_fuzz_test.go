package batch

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse: any bytes given as navsync.yaml are decoded or refused, never
// a panic, and every refusal is an error that wraps ErrConfig (so navsync
// exits 5 and names the problems); a config that parses is returned with
// it. Seeds: testdata/fuzz/FuzzParse/ and the shipped example config.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../navsync.example.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error without ErrConfig: %v", err)
			}
			return
		}
		if c == nil {
			t.Fatal("no config and no error")
		}
	})
}
