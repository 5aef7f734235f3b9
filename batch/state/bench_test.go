//go:build unix

package state

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system, all threads) this process has
// used: on a shared machine a steadier measure than wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAddActions200k journals a 200,000-action plan in one AddActions.
func BenchmarkAddActions200k(b *testing.B) {
	const n = 200_000
	s := openTest(b)
	ctx := context.Background()
	var i int
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		run := fmt.Sprintf("r%d", i)
		i++
		if err := s.BeginRun(ctx, Run{ID: run}); err != nil {
			b.Fatal(err)
		}
		as := genActions(run, n)
		b.StartTimer()
		c := cpuTime(b)
		if err := s.AddActions(ctx, run, as); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "actions/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkSendAndRecord200k journals the apply of a 200,000-action plan:
// 1,000 calls of 200 actions, each a MarkSent before and a Record after.
func BenchmarkSendAndRecord200k(b *testing.B) {
	const (
		calls = 1000
		batch = 200
	)
	s := openTest(b)
	ctx := context.Background()
	var i int
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		run := fmt.Sprintf("r%d", i)
		i++
		beginWithActions(b, s, run, calls*batch)
		b.StartTimer()
		c0 := cpuTime(b)
		for c := range calls {
			seqs := seqRange(c*batch, (c+1)*batch)
			if err := s.MarkSent(ctx, run, seqs, "", time.Time{}); err != nil {
				b.Fatal(err)
			}
			outs := make([]Outcome, batch)
			for k, seq := range seqs {
				outs[k] = Outcome{Seq: seq, State: Done}
				if seq%50 == 0 {
					outs[k] = Outcome{Seq: seq, State: Failed, ErrorCode: "FIELD_INTEGRITY_EXCEPTION", ErrorMessage: "bad value"}
				}
			}
			if err := s.Record(ctx, run, outs); err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime(b) - c0
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N*calls), "ms/call")
	b.ReportMetric(cpu.Seconds()*1e3/float64(b.N*calls), "cpu-ms/call")
}

// BenchmarkReserveAndSettle200 is the ledger's share of one create call of
// 200 Contacts: a ReserveContacts before it, a SettleContacts and an
// AddAPICalls after it, for one of 40 users, with 20,000 creates already
// in the ledger.
func BenchmarkReserveAndSettle200(b *testing.B) {
	const (
		batch = 200
		users = 40
	)
	s := openTest(b)
	ctx := context.Background()
	beginRun(b, s, "r")
	seq := 0
	call := func(user string) {
		seqs := seqRange(seq, seq+batch)
		seq += batch
		g, err := s.ReserveContacts(ctx, "r", user, "2026-12", seqs, 1_000_000)
		if err != nil || len(g) != batch {
			b.Fatalf("granted %d, %v", len(g), err)
		}
		if err := s.SettleContacts(ctx, "r", g[:batch-10], g[batch-10:]); err != nil {
			b.Fatal(err)
		}
		if err := s.AddAPICalls(ctx, user, "2026-12-03", 1); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 100 {
		call(fmt.Sprintf("005U%02d", i%users))
	}
	var i int
	var cpu time.Duration
	for b.Loop() {
		c0 := cpuTime(b)
		call(fmt.Sprintf("005U%02d", i%users))
		i++
		cpu += cpuTime(b) - c0
	}
	b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/call")
}
