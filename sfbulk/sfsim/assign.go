package sfsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/navsync/navsync/internal/sfid"
)

// The org's Lead assignment rule (Options.LeadAssignmentRule).
const (
	// LeadQueue as Options.LeadAssignmentRule adds an active "Lead Queue"
	// user (LeadQueueUsername, Standard User profile) that the rule assigns
	// every Lead to.
	LeadQueue = "queue"
	// LeadQueueUsername is the username of that user.
	LeadQueueUsername = "lead-queue@navsync-sim.example.com"

	assignmentRulePrefix = "01Q" // AssignmentRule ids
)

// ErrLeadAssignmentRule is wrapped by New's error for a malformed
// Options.LeadAssignmentRule.
var ErrLeadAssignmentRule = errors.New("bad Lead assignment rule")

// checkLeadAssignmentRule validates Options.LeadAssignmentRule: LeadQueue,
// a user id or a username (users are loaded after New, so the user itself
// is looked up each time the rule runs).
func checkLeadAssignmentRule(v string) error {
	switch {
	case v == "" || v == LeadQueue:
		return nil
	case sfid.Valid(v):
		if !strings.HasPrefix(v, sfid.User) {
			return fmt.Errorf("sfsim: %w: %q is not a user id (a queue is modelled as a user: use %q)", ErrLeadAssignmentRule, v, LeadQueue)
		}
		return nil
	case strings.Contains(v, "@") && !strings.ContainsAny(v, " \t,"):
		return nil
	}
	return fmt.Errorf("sfsim: %w %q: want %q, a username or a user id", ErrLeadAssignmentRule, v, LeadQueue)
}

// seedLeadAssignment gives the org its active Lead assignment rule and,
// for LeadQueue, the user it assigns to.
func (s *Server) seedLeadAssignment() error {
	v := s.opts.LeadAssignmentRule
	if v == "" {
		return nil
	}
	if err := checkLeadAssignmentRule(v); err != nil {
		return err
	}
	s.leadRuleID = sfid.New(assignmentRulePrefix, "5g", 1)
	if v != LeadQueue {
		return nil
	}
	now := nowStamp(s.now())
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	ut := st.table("User")
	uv := make([]string, len(ut.obj.Fields))
	for n, val := range map[string]string{"Id": ut.newID(), "Username": LeadQueueUsername, "Email": LeadQueueUsername,
		"FirstName": "Lead", "LastName": "Queue", "Alias": "leadq", "IsActive": "true", "ProfileId": sfid.ProfileStandard,
		"UserType": "Standard", "TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
		"EmailEncodingKey": "UTF-8", "CreatedDate": now, "CreatedById": s.adminID, "LastModifiedDate": now, "LastModifiedById": s.adminID} {
		uv[ut.obj.Field(n).index] = val
	}
	ut.insert(uv)
	return nil
}

// LeadAssignmentRuleID is the id of the org's active Lead assignment rule
// ("" when Options.LeadAssignmentRule is unset): the value a Bulk 2.0
// ingest job's assignmentRuleId or the Sforce-Auto-Assign header may name.
func (s *Server) LeadAssignmentRuleID() string { return s.leadRuleID }

// leadAssigneeLocked is the user id the rule assigns Leads to; store lock held.
func (s *Server) leadAssigneeLocked() (string, *dmlError) {
	ut := s.st.table("User")
	o := ut.obj
	v := s.opts.LeadAssignmentRule
	if v == LeadQueue {
		v = LeadQueueUsername
	}
	var row int32 = -1
	if sfid.Valid(v) {
		if r, ok := ut.find(v); ok {
			row = r
		}
	} else if rows := ut.idx[o.Field("Username").index].lookup(v, nil); len(rows) == 1 {
		row = rows[0]
	}
	if row < 0 || ut.rows[row] == "" {
		return "", &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id: the Lead assignment rule assigns to a user that does not exist", fields: []string{"OwnerId"}}
	}
	id := rowValue(ut.rows[row], 0)
	if rowValue(ut.rows[row], o.Field("IsActive").index) != "true" {
		return "", &dmlError{code: "INACTIVE_OWNER_OR_USER", msg: fmt.Sprintf("operation performed with inactive user [%s] as owner of lead", id)}
	}
	return id, nil
}

// assignLead runs the Lead assignment rule on a Lead being saved: every
// Lead goes to the rule's user, whatever OwnerId the request set (the rule
// runs after the record's own values). Store lock held.
func (w *writeCtx) assignLead(t *table, vals []string, create bool) *dmlError {
	if t.obj.Name != "Lead" || w.s.leadRuleID == "" || (create && !w.assignCreate) || (!create && !w.assignUpdate) {
		return nil
	}
	owner, e := w.s.leadAssigneeLocked()
	if e != nil {
		return e
	}
	vals[t.obj.Field("OwnerId").index] = owner
	return nil
}

// autoAssign is what a request's Sforce-Auto-Assign header asks for.
type autoAssign struct{ onCreate, onUpdate bool }

// parseAutoAssign reads the Assignment Rule header of a REST write: absent
// or TRUE (any case) runs the active rules on created and updated Leads,
// FALSE runs none, and an AssignmentRule id runs that rule on created
// Leads. Any other value is refused (the REST guide lists no other; the
// SOAP AssignmentRuleHeader answers MALFORMED_ID to a malformed id).
func (s *Server) parseAutoAssign(r *http.Request) (autoAssign, *apiError) {
	vs := r.Header.Values("Sforce-Auto-Assign")
	if len(vs) == 0 {
		return autoAssign{onCreate: true, onUpdate: true}, nil
	}
	v := strings.TrimSpace(vs[0])
	switch {
	case strings.EqualFold(v, "true"):
		return autoAssign{onCreate: true, onUpdate: true}, nil
	case strings.EqualFold(v, "false"):
		return autoAssign{}, nil
	case !sfid.Valid(v):
		return autoAssign{}, &apiError{status: 400, code: "MALFORMED_ID", message: "Sforce-Auto-Assign: want TRUE, FALSE or an AssignmentRule id, got: " + echo(v), noField: true}
	case s.leadRuleID == "" || !sfid.Equal(v, s.leadRuleID):
		return autoAssign{}, &apiError{status: 400, code: "INVALID_CROSS_REFERENCE_KEY", message: "Sforce-Auto-Assign: invalid cross reference id: " + echo(v), noField: true}
	}
	return autoAssign{onCreate: true}, nil
}

// ingestAssignmentRule checks a Bulk 2.0 ingest job's assignmentRuleId
// (Lead and Case, v49.0+): an ingest job runs an assignment rule only when
// it names one, active or not. It returns the rule the job runs ("" none).
func (s *Server) ingestAssignmentRule(object, version, id string) (string, error) {
	if id == "" || versionBelow(version, 49) {
		return "", nil // before v49.0 the property does not exist
	}
	if object != "Lead" || !sfid.Valid(id) || s.leadRuleID == "" || !sfid.Equal(id, s.leadRuleID) {
		return "", errInvalidJob("InvalidJob : Invalid assignmentRuleId: " + echo(id))
	}
	return s.leadRuleID, nil
}

// versionBelow reports whether an API version like "62.0" is below major.
func versionBelow(version string, major int) bool {
	n := 0
	for _, c := range strings.TrimSuffix(version, ".0") {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n < major
}
