// Package benchmarks holds the go test -bench suites behind `make bench`:
// world generation, the simulator's Bulk 2.0 export, the client's streaming
// and parsing, and the matcher at scale.
package benchmarks
