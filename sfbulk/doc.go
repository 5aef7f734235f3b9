// Package sfbulk is navsync's Salesforce client: OAuth flows and token
// storage, Bulk API 2.0 query jobs streamed page by page, REST query and
// describe, sObject Collections writes with per-record results, search
// suggestions, API-limit accounting, typed errors and retries. It holds no
// global state; every call takes a context.
//
// A Client acts as one user of one org. Its tokens come from a TokenSource:
// RefreshTokenSource (a refresh token kept in a TokenStore, obtained once
// with AuthCodeFlow), JWTSource (JWT bearer, any pre-authorized user by
// username) or ClientCredentialsSource (My Domain hosts only). Each 401 is
// answered by one refresh and one resend, at most three times and never
// after a just-minted token was refused; a refused token is never reused.
//
// Reads: BulkQuery streams every row of a Bulk 2.0 job to a callback with
// memory bounded by a few result pages; Query pages REST results; SOQL is
// built with Select and the condition helpers, which escape every value.
//
// Writes: Create, Update and Upsert return one RecordResult per input
// record, whose Sent field says whether Salesforce answered (Answered), may
// have applied the write without answering (MaybeSent), or certainly did
// not receive it (NotSent). A create whose answer was lost is never resent.
//
// Errors are *APIError, *RecordError, *AuthError, *BulkJobError,
// *BudgetError or *RequestError, matched to the sentinels in errors.go with
// errors.Is. docs/readme-sfbulk.md shows how to connect to production, a
// sandbox or a My Domain with each flow, and the fix for each error.
package sfbulk
