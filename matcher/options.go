package matcher

import (
	"fmt"
)

// Options control a matching run.
type Options struct {
	// AutoThreshold is the probability at or above which the best
	// candidate, clearly ahead of the runner-up, is a match (written back).
	AutoThreshold float64
	// ReviewThreshold is the probability at or above which the best
	// candidate is reported as possible (for review).
	ReviewThreshold float64
	// Parallelism is the number of goroutines; 0 means GOMAXPROCS. The
	// output does not depend on it.
	Parallelism int
	// MaxBlockSize caps the CRM records of one blocking-key value; larger
	// blocks keep their first MaxBlockSize records (in input order) and are
	// counted in Stats. 0 means no cap.
	MaxBlockSize int
	// Params are the Fellegi–Sunter parameters; nil means DefaultParams().
	Params *Params
	// Overrides are reviewed pairs applied before deciding (overrides.go);
	// nil: none. Match only.
	Overrides *Overrides
}

// DefaultOptions returns the shipped thresholds: match at 0.95, review from
// 0.20, blocks capped at 1,000 records.
func DefaultOptions() Options {
	return Options{AutoThreshold: 0.95, ReviewThreshold: 0.20, MaxBlockSize: 1000}
}

func (o Options) validate() error {
	if !(o.AutoThreshold > 0 && o.AutoThreshold <= 1) {
		return fmt.Errorf("options: auto threshold must be in (0,1], got %v", o.AutoThreshold)
	}
	if !(o.ReviewThreshold > 0 && o.ReviewThreshold <= 1) {
		return fmt.Errorf("options: review threshold must be in (0,1], got %v", o.ReviewThreshold)
	}
	if o.ReviewThreshold > o.AutoThreshold {
		return fmt.Errorf("options: review threshold %v is above auto threshold %v", o.ReviewThreshold, o.AutoThreshold)
	}
	if o.Parallelism < 0 {
		return fmt.Errorf("options: parallelism must be >= 0, got %d", o.Parallelism)
	}
	if o.MaxBlockSize < 0 {
		return fmt.Errorf("options: max block size must be >= 0, got %d", o.MaxBlockSize)
	}
	return nil
}

// stats counts the candidate pairs per blocking key, the blocks and the
// decisions of a run.
func (r *run) stats(leads []LeadResult, leadStats []chunkStats, comp, q companyScores) Stats {
	var st Stats
	var keyPairs [numLeadKeys]int64
	for _, cs := range leadStats {
		st.CandidatePairs += cs.pairs
		for k := range keyPairs {
			keyPairs[k] += cs.keyPairs[k]
		}
	}
	st.CandidatePairs += comp.pairs + q.pairs
	for k := range numLeadKeys {
		ix := r.pix[leadKeyIndex[k]]
		st.LeadBlocks = append(st.LeadBlocks, BlockStats{Key: leadKeyNames[k], Pairs: keyPairs[k], Blocks: ix.blocks, CappedBlocks: ix.cappedBlocks, CappedRecords: ix.cappedRecords})
	}
	for k := range numCompanyKeys {
		ix := r.cix[k]
		st.CompanyBlocks = append(st.CompanyBlocks, BlockStats{Key: companyKeyNames[k], Pairs: comp.keyPairs[k] + q.keyPairs[k], Blocks: ix.blocks, CappedBlocks: ix.cappedBlocks, CappedRecords: ix.cappedRecords})
	}
	for i := range leads {
		switch leads[i].Decision {
		case DecisionMatch:
			st.Matches++
		case DecisionPossible:
			st.Possible++
		default:
			st.None++
		}
	}
	return st
}
