package batch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
)

// ownerClientsAdapter gives UserClients' *sfbulk.Client as a ContactWriter.
type ownerClientsAdapter struct{ u *UserClients }

func (a ownerClientsAdapter) Client(ctx context.Context, userID, username string) (ContactWriter, error) {
	c, err := a.u.Client(ctx, userID, username)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (a ownerClientsAdapter) Flush(ctx context.Context) error { return a.u.Flush(ctx) }

// contactPlanner is what planning contacts needs of the integration
// user's client: describe, and a look-up of contact roles.
type contactPlanner interface {
	describer
	QueryRecords(ctx context.Context, soql string) ([]sfbulk.Record, error)
}

// lostRoleStore reads the contact roles earlier runs lost (*state.Store).
type lostRoleStore interface {
	LostContactRoles(ctx context.Context, settled []string) ([]state.LostRole, error)
}

// planContactStage checks the org can take the configured contacts
// (describe) and plans them after the writebacks, then the roles earlier
// runs lost for the Contacts they created.
func planContactStage(ctx context.Context, sf contactPlanner, st lostRoleStore, cfg *Config, in *input.Inputs, m *matcher.Result,
	firstSeq int) ([]Action, contactSchema, error) {
	cs, err := checkContactSchema(ctx, sf, cfg)
	if err != nil {
		return nil, cs, err
	}
	acts := PlanContacts(ContactPlanInput{Leads: in.Input.Leads, Results: m.Leads, People: in.Input.People, Users: in.Users,
		Opportunities: in.Opportunities, Contacts: cfg.Contacts, Writeback: cfg.Writeback.Fields, FirstSeq: firstSeq})
	retries, err := lostRoleStage(ctx, sf, st, cfg, in, firstSeq+len(acts))
	if err != nil {
		return nil, cs, err
	}
	return append(acts, retries...), cs, nil
}

// settledRoleReasons end a lost role's retries: the policy found no
// Opportunity for it, or the role is in the org.
var settledRoleReasons = []string{ReasonNoOpportunity, ReasonSeveralOpps, ReasonAlreadyLinked}

// lostRoleStage plans the roles lost by earlier runs (planRoleRetries),
// after looking up which of their Contacts have roles in the org.
func lostRoleStage(ctx context.Context, sf contactPlanner, st lostRoleStore, cfg *Config, in *input.Inputs, firstSeq int) ([]Action, error) {
	rc := cfg.Contacts.OpportunityRole
	if rc.Policy == RolePolicyNone || rc.Policy == "" {
		return nil, nil
	}
	lost, err := st.LostContactRoles(ctx, settledRoleReasons)
	if err != nil {
		return nil, fmt.Errorf("lost contact roles: %w", err)
	}
	if len(lost) == 0 {
		return nil, nil
	}
	inSnapshot := map[string]bool{}
	for i := range in.Input.People {
		if p := &in.Input.People[i]; p.Object == "Contact" {
			inSnapshot[p.ID] = true
		}
	}
	var ids []string // one per Contact (LostContactRoles lists each once)
	for _, l := range lost {
		if id := id18(l.ContactID); inSnapshot[id] {
			ids = append(ids, id)
		}
	}
	inOrg, err := contactRoles(ctx, sf, ids)
	if err != nil {
		return nil, fmt.Errorf("look up contact roles: %w", err)
	}
	return planRoleRetries(lost, in.Input.People, in.Users, in.Opportunities, rc, inOrg, firstSeq), nil
}

// quotaMonth is the quota month and day keys of now in the org's zone.
func quotaMonth(cfg *Config, now time.Time) (month, day string) {
	loc := time.UTC
	if z := cfg.Contacts.OrgTimeZone; z != "" {
		if l, err := time.LoadLocation(z); err == nil {
			loc = l
		}
	}
	return state.MonthDay(now, loc)
}

// dryContactOutcomes marks the contacts a dry run would create, within
// each owner's remaining quota (read, never reserved); the rest are
// quota_exceeded, as the real run would report them.
func dryContactOutcomes(ctx context.Context, st *state.Store, cfg *Config, actions []Action, outcomes []Outcome, now time.Time) error {
	month, _ := quotaMonth(cfg, now)
	left := map[string]int{}
	contactOf := contactIndexes(actions)
	for i := range actions {
		a := &actions[i]
		if a.Skip || (a.Kind != KindCreateContact && a.Kind != KindCreateContactRole) {
			continue
		}
		if a.Kind == KindCreateContactRole {
			if ci, ok := contactOf[a.LeadID]; isRoleRetry(a) || ok && outcomes[ci].Status == StatusWouldCreate {
				outcomes[i].Status = StatusWouldCreate
			} else {
				skipOutcome(a, &outcomes[i], ReasonContactNotDone, "its Contact would not be created")
			}
			continue
		}
		n, ok := left[a.OnBehalfOf]
		if !ok {
			created, reserved, err := st.ContactQuota(ctx, a.OnBehalfOf, month)
			if err != nil {
				return err
			}
			n = max(0, cfg.Contacts.MonthlyQuota-created-reserved)
		}
		if n == 0 {
			skipOutcome(a, &outcomes[i], ReasonQuotaExceeded, fmt.Sprintf("the owner's quota of %d contacts in %s is used up", cfg.Contacts.MonthlyQuota, month))
		} else {
			outcomes[i].Status = StatusWouldCreate
			n--
		}
		left[a.OnBehalfOf] = n
	}
	return nil
}

// applyContactStage creates the plan's contacts with each owner's client.
func applyContactStage(ctx context.Context, sf Client, st *state.Store, cfg *Config, cs contactSchema, actions []Action,
	outcomes []Outcome, users []input.User, runID string, now func() time.Time, log *slog.Logger, p Progress,
	owners OwnerClients, calls *int64) error {
	if owners == nil {
		uc, err := NewUserClients(cfg, sf.Identity().OrgID, st, now, log)
		if err != nil {
			return fmt.Errorf("owners: %w", err)
		}
		owners = ownerClientsAdapter{uc}
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Username
	}
	month, _ := quotaMonth(cfg, now())
	return applyContacts(ctx, sf, owners, st, st, actions, outcomes, ContactOptions{
		RunID: runID, Usernames: names, ExtIDField: cfg.ContactExternalIDField(), UseUpsert: cs.UseUpsert,
		Month: month, MonthlyQuota: cfg.Contacts.MonthlyQuota, Now: now, Progress: p, Calls: calls,
	})
}

// QuotaRow is one row of quota.parquet: per owner, contacts created this month,
// remaining, API calls today, remaining.
type QuotaRow struct {
	UserID                     string
	Month, Day                 string
	Created, Reserved, Remains int
	APICalls, APIRemains       int
}

func quotaRows(ctx context.Context, st *state.Store, cfg *Config, now time.Time) ([]QuotaRow, error) {
	month, day := quotaMonth(cfg, now)
	qs, err := st.QuotaReport(ctx, month, day)
	if err != nil {
		return nil, err
	}
	out := make([]QuotaRow, len(qs))
	for i, q := range qs {
		out[i] = QuotaRow{UserID: q.UserID, Month: month, Day: day, Created: q.Created, Reserved: q.Reserved,
			Remains:  max(0, cfg.Contacts.MonthlyQuota-q.Created-q.Reserved),
			APICalls: q.APICalls, APIRemains: max(0, cfg.Contacts.DailyAPIBudget-q.APICalls)}
	}
	return out, nil
}
