package sfbulk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MaxCollection is the sObject Collections limit of records per call.
const MaxCollection = 200

// RecordResult is the outcome of one input record of a write, in input order.
type RecordResult struct {
	ID      string
	Success bool
	// Created is set by Create (on success) and by Upsert (true: inserted).
	Created bool
	// Errors are Salesforce's per-record errors (statusCode, message, fields).
	Errors []RecordError
	// Sent says whether the record reached Salesforce: Answered (Success and
	// Errors are Salesforce's word), MaybeSent (the request was written but no
	// answer came back: it may have been applied; never re-create it
	// blindly) or NotSent (certainly not applied).
	Sent SendState
	// RequestErr is the call-level error when the record got no per-record
	// answer (network failure, budget stop, 4xx on the whole request).
	RequestErr error
	// Attempts counts the calls that carried this record (lock retries).
	Attempts int
}

// Err returns nil on success, else an error usable with errors.Is/As: the
// first RecordError or the call-level error.
func (r RecordResult) Err() error {
	switch {
	case r.Success:
		return nil
	case r.RequestErr != nil:
		return r.RequestErr
	case len(r.Errors) > 0:
		return &r.Errors[0]
	}
	return errors.New("record failed without an error")
}

type collResult struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Created *bool         `json:"created"`
	Errors  []RecordError `json:"errors"`
}

// Create inserts records of object through POST /composite/sobjects, 200 per
// call with allOrNone=false, returning one result per record. A record
// failing with UNABLE_TO_LOCK_ROW is sent again after a backoff (it was
// certainly not created). A call whose answer was lost is never resent: its
// records come back MaybeSent. The error is the first call-level error after
// which the remaining records were not sent; per-record failures are only in
// the results.
func (c *Client) Create(ctx context.Context, object string, records []Record) ([]RecordResult, error) {
	return c.write(ctx, "create", object, "", records)
}

// Update changes records (each with "Id") through PATCH /composite/sobjects.
// Updates are idempotent, so calls are resent after lost answers too.
func (c *Client) Update(ctx context.Context, object string, records []Record) ([]RecordResult, error) {
	return c.write(ctx, "update", object, "", records)
}

// Upsert inserts or updates by an external-id field through
// PATCH /composite/sobjects/{object}/{extIDField}; Created tells which.
func (c *Client) Upsert(ctx context.Context, object, extIDField string, records []Record) ([]RecordResult, error) {
	if !validName(extIDField) || strings.Contains(extIDField, ".") {
		return nil, fmt.Errorf("upsert: invalid external id field %q", extIDField)
	}
	return c.write(ctx, "upsert", object, extIDField, records)
}

func (c *Client) write(ctx context.Context, op, object, extID string, records []Record) ([]RecordResult, error) {
	if !validName(object) || strings.Contains(object, ".") {
		return nil, fmt.Errorf("%s: invalid object name %q", op, object)
	}
	results := make([]RecordResult, len(records))
	// Local checks first: such records are never sent.
	var ok []int
	for i, rec := range records {
		if msg := checkRecord(op, extID, rec); msg != "" {
			results[i] = RecordResult{Sent: NotSent, Errors: []RecordError{{StatusCode: "NAVSYNC_INVALID_INPUT", Message: msg}}}
			continue
		}
		ok = append(ok, i)
	}
	for start := 0; start < len(ok); start += MaxCollection {
		chunk := ok[start:min(start+MaxCollection, len(ok))]
		if err := c.writeChunk(ctx, op, object, extID, records, chunk, results); err != nil {
			for _, i := range ok[start+len(chunk):] {
				results[i] = RecordResult{Sent: NotSent, RequestErr: fmt.Errorf("not sent after an earlier failure: %w", err)}
			}
			return results, fmt.Errorf("%s %s: %w", op, object, err)
		}
	}
	return results, nil
}

func checkRecord(op, extID string, rec Record) string {
	id, hasID := rec["Id"]
	if !hasID {
		id, hasID = rec["id"]
	}
	switch op {
	case "create":
		if hasID && id != nil && id != "" {
			return "a record to create must not carry an Id"
		}
	case "update":
		if s, _ := id.(string); s == "" {
			return "a record to update needs an Id"
		}
	case "upsert":
		if v, ok := rec[extID]; !ok || v == nil || v == "" {
			return "a record to upsert needs a value in " + extID
		}
	}
	return ""
}

// writeChunk sends up to 200 records, then again those that failed only on
// a row lock, filling results. It returns a call-level error.
func (c *Client) writeChunk(ctx context.Context, op, object, extID string, records []Record, idx []int, results []RecordResult) error {
	r := &request{method: http.MethodPost, path: "/composite/sobjects", idempotent: op != "create", header: c.autoAssignHeader()}
	if op != "create" {
		r.method = http.MethodPatch
	}
	if op == "upsert" {
		r.path = "/composite/sobjects/" + object + "/" + extID
	}
	pending := idx
	for round := 1; ; round++ {
		body := struct {
			AllOrNone bool             `json:"allOrNone"`
			Records   []map[string]any `json:"records"`
		}{Records: make([]map[string]any, len(pending))}
		for k, i := range pending {
			m := make(map[string]any, len(records[i])+1)
			for f, v := range records[i] {
				if f != "attributes" {
					m[f] = v
				}
			}
			m["attributes"] = map[string]string{"type": object}
			body.Records[k] = m
		}
		var out []collResult
		err := c.doJSON(ctx, r, body, &out)
		if err == nil && len(out) != len(pending) {
			err = &RequestError{Method: r.method, Path: r.route(), Sent: MaybeSent,
				Err: &ResultCountError{Results: len(out), Records: len(pending)}}
		}
		if err != nil {
			st := SendStateOf(err)
			for _, i := range pending {
				results[i] = RecordResult{Sent: st, RequestErr: err, Attempts: results[i].Attempts + 1}
			}
			return err
		}
		var locked []int
		for k, i := range pending {
			o := out[k]
			res := RecordResult{ID: o.ID, Success: o.Success, Errors: o.Errors, Sent: Answered, Attempts: results[i].Attempts + 1}
			if o.Created != nil {
				res.Created = *o.Created
			} else if op == "create" {
				res.Created = o.Success
			}
			results[i] = res
			if !o.Success && onlyLockErrors(o.Errors) {
				locked = append(locked, i)
			}
		}
		if len(locked) == 0 || round >= c.retry.MaxAttempts {
			return nil
		}
		c.retries.Add(1)
		c.log.Warn("records locked; sending them again", "op", op, "object", object, "records", len(locked), "round", round)
		if err := sleep(ctx, c.retry.Backoff(round, 0)); err != nil {
			return nil // results already hold the lock errors
		}
		pending = locked
	}
}

// autoAssignHeader is the Sforce-Auto-Assign header of REST writes: FALSE
// unless Config.LeadAutoAssign, so active Lead and Case assignment rules do
// not reassign owners behind the job's back.
func (c *Client) autoAssignHeader() http.Header {
	v := "FALSE"
	if c.cfg.LeadAutoAssign {
		v = "TRUE"
	}
	return http.Header{"Sforce-Auto-Assign": {v}}
}

func onlyLockErrors(errs []RecordError) bool {
	if len(errs) == 0 {
		return false
	}
	for _, e := range errs {
		if e.StatusCode != "UNABLE_TO_LOCK_ROW" {
			return false
		}
	}
	return true
}
