package input

import (
	"context"
	"fmt"
)

// LeadTruth is what a synthetic world says about one Sales Navigator lead.
type LeadTruth struct {
	Scenario  string
	CRMIDs    []string // any of these is a correct match; empty: the person is not in the org
	AccountID string   // the CRM Account of the lead's current company, "" when none
}

// AccountTruth is what a synthetic world says about one Sales Navigator account.
type AccountTruth struct {
	Scenario     string
	CRMAccountID string // "" when the company is not in the org
}

// ReadLeadTruth reads a world's truth/leads.csv (lead_id, scenario, crm_ids
// "|"-separated, account_id), keyed by lead_id. Any bad row is an error:
// the truth is generated, so a bad row means a broken world.
func ReadLeadTruth(ctx context.Context, path string) (map[string]LeadTruth, error) {
	out := make(map[string]LeadTruth)
	t := newStrtab()
	bind := func(c *columns) (*binding, error) {
		req, err := c.need("lead_id", "crm_ids")
		if err != nil {
			return nil, err
		}
		id, ids, scenario, account := req[0], req[1], c.col("scenario"), c.col("account_id")
		var (
			iScenario = t.interner()
			iIds      = t.interner()
		)
		return &binding{idCol: id, row: func(f [][]byte, line int) *rowReject {
			out[t.str(f[id])] = LeadTruth{
				Scenario:  iScenario.get(get(f, scenario)),
				CRMIDs:    nonEmpty(iIds.list(f[ids])),
				AccountID: t.str(get(f, account)),
			}
			return nil
		}}, nil
	}
	_, rj, err := scan(ctx, path, "truth", bind)
	if err != nil {
		return nil, err
	}
	if len(rj) > 0 {
		return nil, fmt.Errorf("%s line %d: %s: %w", path, rj[0].Line, rj[0].Reason, ErrSchema)
	}
	return out, nil
}

// ReadAccountTruth reads a world's truth/accounts.csv (account_id,
// scenario, crm_account_id), keyed by account_id.
func ReadAccountTruth(ctx context.Context, path string) (map[string]AccountTruth, error) {
	out := make(map[string]AccountTruth)
	t := newStrtab()
	bind := func(c *columns) (*binding, error) {
		req, err := c.need("account_id", "crm_account_id")
		if err != nil {
			return nil, err
		}
		id, crm, scenario := req[0], req[1], c.col("scenario")
		iScenario := t.interner()
		return &binding{idCol: id, row: func(f [][]byte, line int) *rowReject {
			out[t.str(f[id])] = AccountTruth{Scenario: iScenario.get(get(f, scenario)), CRMAccountID: t.str(f[crm])}
			return nil
		}}, nil
	}
	_, rj, err := scan(ctx, path, "truth", bind)
	if err != nil {
		return nil, err
	}
	if len(rj) > 0 {
		return nil, fmt.Errorf("%s line %d: %s: %w", path, rj[0].Line, rj[0].Reason, ErrSchema)
	}
	return out, nil
}

func nonEmpty(s []string) []string {
	out := s[:0]
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
