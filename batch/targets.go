package batch

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/navsync/navsync/matcher"
)

// matchedTargets returns the ids Plan needs the state of: every record a
// match decision points to, and the Contact of a converted Lead.
func matchedTargets(results []matcher.LeadResult) map[string]bool {
	ids := map[string]bool{}
	for i := range results {
		r := &results[i]
		if r.Decision != matcher.DecisionMatch || r.CRMID == "" {
			continue
		}
		ids[r.CRMID] = true
		if r.ConvertedContactID != "" {
			ids[r.ConvertedContactID] = true
		}
	}
	return ids
}

// ReadTargets reads the current state of the wanted records from the
// snapshot's Contact.csv and Lead.csv in dir: the writeback fields, the
// Contact's AccountId, the Lead's conversion. A writeback field missing
// from a file's header is read as empty (Extract refuses an org without
// it, so this only happens with a hand-made snapshot). A converted Lead's
// Contact is added to the wanted set as it is found, so Contact.csv is
// read after Lead.csv.
func ReadTargets(ctx context.Context, dir string, fields []string, want map[string]bool) (map[string]*Target, error) {
	out := map[string]*Target{}
	for _, object := range []string{"Lead", "Contact"} {
		if err := readTargetFile(ctx, filepath.Join(dir, object+".csv"), object, fields, want, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readTargetFile(ctx context.Context, path, object string, fields []string, want map[string]bool, out map[string]*Target) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && object == "Lead" {
			return nil
		}
		return fmt.Errorf("read targets: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read targets: %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	idCol, ok := col["id"]
	if !ok {
		return fmt.Errorf("read targets: %s: no Id column", path)
	}
	get := func(rec []string, name string) string {
		if i, ok := col[strings.ToLower(name)]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for n := 0; ; n++ {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// A row the snapshot reader rejected is not a match target;
			// keep reading.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue
			}
			return fmt.Errorf("read targets: %s: %w", path, err)
		}
		if idCol >= len(rec) || !want[rec[idCol]] {
			continue
		}
		t := &Target{ID: rec[idCol], Object: object, Values: make(map[string]string, len(fields))}
		for _, fld := range fields {
			if v := get(rec, fld); v != "" {
				t.Values[fld] = v
			}
		}
		switch object {
		case "Contact":
			t.AccountID = get(rec, "AccountId")
		case "Lead":
			t.IsConverted = strings.EqualFold(get(rec, "IsConverted"), "true")
			t.ConvertedContactID = get(rec, "ConvertedContactId")
			if t.IsConverted && t.ConvertedContactID != "" {
				want[t.ConvertedContactID] = true
			}
		}
		out[t.ID] = t
	}
}
