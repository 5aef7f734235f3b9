package sfbulk

import "errors"

// Sentinels at the edge of the client, usable with errors.Is. APIError values
// match them through their Is method (see the client), so callers never
// compare error codes by hand.
var (
	// ErrAuthRevoked: the token endpoint answered invalid_grant (refresh token
	// revoked or expired, user inactive, IP restricted). Re-consent is needed.
	ErrAuthRevoked = errors.New("salesforce authorization revoked")
	// ErrLimitExhausted: the org's daily API request limit is spent (REQUEST_LIMIT_EXCEEDED).
	ErrLimitExhausted = errors.New("salesforce daily API limit exhausted")
	// ErrBudgetExhausted: navsync stopped itself before a configured per-user budget was exceeded.
	ErrBudgetExhausted = errors.New("configured API call budget exhausted")
)
