package sfbulk

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinels at the edge of the client, usable with errors.Is. APIError,
// RecordError and AuthError values match them through their Is methods, so
// callers never compare error codes by hand.
var (
	// ErrAuthRevoked: the token endpoint answered invalid_grant (refresh token
	// revoked or expired, user inactive, IP restricted). Re-consent is needed.
	ErrAuthRevoked = errors.New("salesforce authorization revoked")
	// ErrLimitExhausted: the org's daily API request limit is spent (REQUEST_LIMIT_EXCEEDED).
	ErrLimitExhausted = errors.New("salesforce daily API limit exhausted")
	// ErrBudgetExhausted: navsync stopped itself before a configured per-user budget was exceeded.
	ErrBudgetExhausted = errors.New("configured API call budget exhausted")

	// ErrSessionExpired: a request was refused with 401 INVALID_SESSION_ID
	// even after the token was refreshed once (or could not be refreshed).
	ErrSessionExpired = errors.New("salesforce session expired or invalid")
	// ErrAPIDisabled: API_DISABLED_FOR_ORG, the org's edition or the user's
	// profile has no API access ("API Enabled" permission).
	ErrAPIDisabled = errors.New("salesforce API disabled for org or user")
	// ErrConvertedLead: CANNOT_UPDATE_CONVERTED_LEAD, the Lead is converted and read-only.
	ErrConvertedLead = errors.New("salesforce lead is converted")
	// ErrInsufficientAccess: INSUFFICIENT_ACCESS_* or INSUFFICIENT_PRIVILEGES.
	ErrInsufficientAccess = errors.New("salesforce insufficient access")
	// ErrRowLocked: UNABLE_TO_LOCK_ROW (retryable; returned only when retries ran out).
	ErrRowLocked = errors.New("salesforce record locked")
	// ErrConcurrencyLimit: the concurrency form of REQUEST_LIMIT_EXCEEDED
	// (ConcurrentPerOrgLongTxn ...); retryable, returned when retries ran out.
	ErrConcurrencyLimit = errors.New("salesforce concurrent request limit exceeded")
	// ErrUnavailable: 502/503/504 or a dropped connection persisted through
	// all retries; at the OAuth token endpoint (sign-in, token refresh,
	// revoke) any 5xx, a refused, reset or timed-out connection, or an
	// answer cut off.
	ErrUnavailable = errors.New("salesforce unavailable")
	// ErrNotFound: NOT_FOUND, ENTITY_IS_DELETED or INVALID_CROSS_REFERENCE_KEY style misses.
	ErrNotFound = errors.New("salesforce record or resource not found")
	// ErrDuplicate: DUPLICATES_DETECTED, a duplicate rule blocked the save.
	ErrDuplicate = errors.New("salesforce duplicate rule blocked the save")
	// ErrInvalidQuery: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE in a SOQL request.
	ErrInvalidQuery = errors.New("salesforce rejected the query")
	// ErrValidation: a DML validation error (required field, picklist, field
	// integrity, validation rule ...). Never retried.
	ErrValidation = errors.New("salesforce validation error")
	// ErrOrgMismatch: a token belongs to another org than the one expected.
	ErrOrgMismatch = errors.New("salesforce token belongs to another org")
	// ErrBadSignature: the token response's signature does not match id+issued_at.
	ErrBadSignature = errors.New("salesforce token signature mismatch")
	// ErrLoginHost: the flow is not allowed on this login host (client
	// credentials need the My Domain host).
	ErrLoginHost = errors.New("salesforce login host not supported for this flow")
	// ErrBulkJobFailed: a Bulk 2.0 job ended Failed or Aborted.
	ErrBulkJobFailed = errors.New("salesforce bulk job failed")
	// ErrTokenStoreInsecure: the token store file is readable by others.
	ErrTokenStoreInsecure = errors.New("token store readable by group or others")
	// ErrQueryTooLong: a REST query's encoded SOQL would exceed the URI limit.
	ErrQueryTooLong = errors.New("soql too long for a REST query")
	// ErrNoToken: the token store holds no token yet (run the consent flow).
	ErrNoToken = errors.New("no stored salesforce token")
)

// APIError is a top-level REST error: the HTTP status and the first entry of
// Salesforce's `[{"message","errorCode","fields"}]` array. For a non-JSON body
// (a gateway's HTML page) ErrorCode is empty and Message holds a short,
// sanitised excerpt of the body.
type APIError struct {
	HTTPStatus int
	ErrorCode  string
	Message    string
	Fields     []string
	// Method and Path identify the request (path only: never the query
	// string, which may carry SOQL values).
	Method, Path string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "salesforce %s %s: %d", e.Method, e.Path, e.HTTPStatus)
	if e.ErrorCode != "" {
		b.WriteString(" ")
		b.WriteString(e.ErrorCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, " (fields %s)", strings.Join(e.Fields, ","))
	}
	return b.String()
}

// Is maps the error code (and, for limits, the message) to the sentinels.
func (e *APIError) Is(target error) bool {
	if target == ErrUnavailable {
		return e.HTTPStatus == 502 || e.HTTPStatus == 503 || e.HTTPStatus == 504
	}
	if target == ErrSessionExpired && e.HTTPStatus == 401 {
		return true
	}
	return codeIs(e.ErrorCode, e.Message, target)
}

// Retryable reports whether the request may be sent again after a backoff:
// 502/503/504, UNABLE_TO_LOCK_ROW and the concurrency form of
// REQUEST_LIMIT_EXCEEDED. Never the daily limit, permission or validation errors.
func (e *APIError) Retryable() bool {
	switch e.HTTPStatus {
	case 502, 503, 504:
		return true
	}
	switch e.ErrorCode {
	case "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE":
		return true
	case "REQUEST_LIMIT_EXCEEDED":
		return !isDailyLimit(e.Message)
	}
	return false
}

// isDailyLimit tells the daily form of REQUEST_LIMIT_EXCEEDED ("TotalRequests
// Limit exceeded.") from the concurrency form ("ConcurrentPerOrgLongTxn Limit
// exceeded"). Unknown wording counts as daily: retrying a spent daily limit
// only burns time, while stopping on a concurrency blip is recoverable.
func isDailyLimit(msg string) bool {
	return !strings.Contains(strings.ToLower(msg), "concurren")
}

// codeIs is the shared mapping from a Salesforce error or status code to sentinels.
func codeIs(code, msg string, target error) bool {
	switch target {
	case ErrSessionExpired:
		return code == "INVALID_SESSION_ID"
	case ErrLimitExhausted:
		return code == "REQUEST_LIMIT_EXCEEDED" && isDailyLimit(msg)
	case ErrConcurrencyLimit:
		return code == "REQUEST_LIMIT_EXCEEDED" && !isDailyLimit(msg)
	case ErrAPIDisabled:
		return code == "API_DISABLED_FOR_ORG" || code == "API_DISABLED_FOR_USER" || code == "API_CURRENTLY_DISABLED"
	case ErrConvertedLead:
		return code == "CANNOT_UPDATE_CONVERTED_LEAD"
	case ErrInsufficientAccess:
		return strings.HasPrefix(code, "INSUFFICIENT_ACCESS") || code == "INSUFFICIENT_PRIVILEGES" ||
			code == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY_PERMISSION" || code == "INVALID_PERMISSION"
	case ErrRowLocked:
		return code == "UNABLE_TO_LOCK_ROW"
	case ErrNotFound:
		return code == "NOT_FOUND" || code == "ENTITY_IS_DELETED" || code == "INVALID_CROSS_REFERENCE_KEY"
	case ErrDuplicate:
		return code == "DUPLICATES_DETECTED" || code == "DUPLICATE_VALUE" || code == "DUPLICATE_EXTERNAL_ID"
	case ErrInvalidQuery:
		return code == "MALFORMED_QUERY" || code == "INVALID_FIELD" || code == "INVALID_TYPE" ||
			code == "INVALID_QUERY_FILTER_OPERATOR" || code == "INVALID_QUERY_LOCATOR"
	case ErrValidation:
		switch code {
		case "REQUIRED_FIELD_MISSING", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "FIELD_CUSTOM_VALIDATION_EXCEPTION",
			"FIELD_INTEGRITY_EXCEPTION", "STRING_TOO_LONG", "INVALID_EMAIL_ADDRESS", "INVALID_FIELD_FOR_INSERT_UPDATE",
			"INVALID_TYPE_ON_FIELD_IN_RECORD", "MALFORMED_ID", "JSON_PARSER_ERROR", "INVALID_FIELD":
			return true
		}
	}
	return false
}

// RecordError is one entry of a per-record `errors` array in an sObject
// Collections result (`statusCode`, not `errorCode`).
type RecordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
	// Duplicate is set for DUPLICATES_DETECTED: the ids of the matching records.
	Duplicate *DuplicateResult `json:"duplicateResult,omitempty"`
}

// DuplicateResult is the useful part of a DUPLICATES_DETECTED error.
type DuplicateResult struct {
	AllowSave     bool   `json:"allowSave"`
	DuplicateRule string `json:"duplicateRule"`
	MatchResults  []struct {
		EntityType   string `json:"entityType"`
		MatchRecords []struct {
			MatchConfidence float64 `json:"matchConfidence"`
			Record          Record  `json:"record"`
		} `json:"matchRecords"`
	} `json:"matchResults"`
}

// MatchIDs returns the ids of the records the duplicate rule matched.
func (d *DuplicateResult) MatchIDs() []string {
	if d == nil {
		return nil
	}
	var ids []string
	for _, m := range d.MatchResults {
		for _, r := range m.MatchRecords {
			if id := r.Record.String("Id"); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (e *RecordError) Error() string {
	s := e.StatusCode + ": " + e.Message
	if len(e.Fields) > 0 {
		s += " (fields " + strings.Join(e.Fields, ",") + ")"
	}
	return s
}

// Is maps the status code to the sentinels.
func (e *RecordError) Is(target error) bool { return codeIs(e.StatusCode, e.Message, target) }

// AuthError is an error answered by the OAuth token endpoint
// (`{"error","error_description"}`), with the fix an admin should apply.
type AuthError struct {
	Flow        string // "refresh_token", "jwt_bearer", "client_credentials", "authorization_code"
	HTTPStatus  int
	Code        string // e.g. invalid_grant
	Description string // Salesforce's error_description
	Hint        string // what to do about it
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("salesforce %s token: %s", e.Flow, e.Code)
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// Is: invalid_grant (and inactive_user) means re-consent is needed, except
// the client-credentials "not supported on this domain" answer, which is a
// login-host mistake; a 5xx answer (Salesforce's own or a gateway's page)
// means the token endpoint is unavailable.
func (e *AuthError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return e.HTTPStatus >= 500
	case ErrLoginHost:
		return isWrongDomain(e.Description)
	case ErrAuthRevoked:
		return (e.Code == "invalid_grant" || e.Code == "inactive_user" || e.Code == "inactive_org") && !isWrongDomain(e.Description)
	}
	return false
}

func isWrongDomain(desc string) bool {
	return strings.Contains(strings.ToLower(desc), "not supported on this domain")
}

// authHint returns the fix for a token endpoint error.
func authHint(flow, code, desc string) string {
	d := strings.ToLower(desc)
	switch {
	case isWrongDomain(desc):
		return "the client credentials flow only works against the org's My Domain host (https://<domain>.my.salesforce.com or https://<domain>--<sandbox>.sandbox.my.salesforce.com), not login.salesforce.com or test.salesforce.com"
	case strings.Contains(d, "no client credentials user"):
		return "set a Run As user under the connected app's Client Credentials Flow settings"
	case strings.Contains(d, "ip restricted") || strings.Contains(d, "ip address"):
		return "this host's address is outside the org's Network Access ranges or the connected app locks sessions to an IP; add the range or relax \"Lock sessions to the IP address from which they originated\""
	case code == "invalid_grant" && flow == "jwt_bearer":
		return "the user must be pre-authorized for the connected app (Permitted Users: \"Admin approved users are pre-authorized\" plus a profile or permission set), the certificate must match the private key, and aud must be the login host of this org (production vs sandbox)"
	case code == "invalid_grant" || code == "inactive_user":
		return "re-run consent (navsync auth login); set the connected app's refresh token policy to \"Refresh token is valid until revoked\", keep at most 5 approvals per user (a 6th revokes the oldest), and do not lock sessions to an IP"
	case code == "invalid_client_id" || code == "invalid_client":
		return "check the consumer key and secret and that the connected app exists in this org (production vs sandbox login host)"
	case code == "unsupported_grant_type":
		return "enable this OAuth flow on the connected app"
	}
	return ""
}

// BulkJobError reports a Bulk 2.0 job that ended Failed or Aborted, with
// Salesforce's errorMessage.
type BulkJobError struct {
	JobID        string
	State        string
	ErrorMessage string
}

func (e *BulkJobError) Error() string {
	return fmt.Sprintf("bulk job %s %s: %s", e.JobID, e.State, e.ErrorMessage)
}

// Is matches ErrBulkJobFailed.
func (e *BulkJobError) Is(target error) bool { return target == ErrBulkJobFailed }

// BudgetError: the client stopped before sending a request because the
// configured per-user daily budget (or the org reserve) would be exceeded.
type BudgetError struct {
	UserID string
	Used   int64
	Budget int64
	// Org is true when the org-wide reserve (from Sforce-Limit-Info) stopped the call.
	Org bool
}

func (e *BudgetError) Error() string {
	if e.Org {
		return fmt.Sprintf("org API usage %d/%d reached the configured reserve", e.Used, e.Budget)
	}
	return fmt.Sprintf("user %s used %d of a daily budget of %d API calls", e.UserID, e.Used, e.Budget)
}

// Is matches ErrBudgetExhausted (per user) or ErrLimitExhausted (org reserve).
func (e *BudgetError) Is(target error) bool {
	if e.Org {
		return target == ErrLimitExhausted || target == ErrBudgetExhausted
	}
	return target == ErrBudgetExhausted
}

// SendState says how far a request got, so a caller can tell a write that
// certainly did not happen from one that may have.
type SendState int

const (
	// NotSent: the request never left this process completely (dial failure,
	// budget stop, cancelled before sending). Certainly not applied.
	NotSent SendState = iota
	// MaybeSent: the request was written but no answer came back (reset,
	// timeout, gateway 502/504). It may have been applied.
	MaybeSent
	// Answered: Salesforce answered; the result says what happened.
	Answered
)

func (s SendState) String() string {
	switch s {
	case NotSent:
		return "not_sent"
	case MaybeSent:
		return "maybe_sent"
	case Answered:
		return "answered"
	}
	return fmt.Sprintf("SendState(%d)", int(s))
}

// ResultCountError is the error of a collections call answered with a
// number of results other than the records sent (Results for Records): the
// results cannot be matched to the records, so none of them is known
// (wrapped in a RequestError, MaybeSent).
type ResultCountError struct {
	Results, Records int
}

func (e *ResultCountError) Error() string {
	return fmt.Sprintf("%d results for %d records", e.Results, e.Records)
}

// RequestError is a failure to get an answer: a transport error, with how far
// the request got.
type RequestError struct {
	Method, Path string
	Sent         SendState
	Err          error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("salesforce %s %s (%s): %v", e.Method, e.Path, e.Sent, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// Is: a transport failure that outlived the retries counts as ErrUnavailable
// (a wrapped APIError answers for itself through Unwrap).
func (e *RequestError) Is(target error) bool {
	var ae *APIError
	return target == ErrUnavailable && !errors.As(e.Err, &ae) &&
		!errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, context.DeadlineExceeded)
}

// SendStateOf reports how far the request behind err got: Answered for an
// APIError, the recorded state for a RequestError, NotSent otherwise (budget,
// context cancelled before sending, local validation).
func SendStateOf(err error) SendState {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Sent
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.HTTPStatus == 502 || ae.HTTPStatus == 504 {
			return MaybeSent
		}
		return Answered
	}
	return NotSent
}
