package sfbulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/navsync/navsync/internal/sfid"
)

// Bulk API 2.0 ingest limits (salesforce-api.md §2, "Prepare CSV Files").
const (
	// MaxIngestUpload is the default cap of one job's CSV in bytes.
	// Salesforce turns an upload into base64 (up to about +50%) and accepts
	// 150 MB after that, so it asks for at most 100 MB of raw data.
	MaxIngestUpload = 100_000_000
	// MaxIngestFieldChars is the Bulk API limit of characters in one value.
	MaxIngestFieldChars = 32_000
	maxIngestFields     = 5_000
	maxIngestHeader     = 32_000
)

// IngestOptions tunes BulkIngest.
type IngestOptions struct {
	// Operation is "insert", "update" or "upsert".
	Operation string
	// ExternalIDField is the upsert's external id field (required for
	// upsert, refused otherwise); every record carries a value in it.
	ExternalIDField string
	// KeyField is the column the job's results are joined back on, so its
	// value must be unique and non-empty in every record. Default: "Id" for
	// update, ExternalIDField for upsert. Insert has no default and needs
	// it: name a field written with the record that identifies it, e.g.
	// Sales_Navigator_Lead_Id__c (insert results carry no id of the input).
	KeyField string
	// OnJobCreated is called with each job's id once the job exists and
	// before any data is uploaded, with the records the job is to carry
	// (indexes into the records given to BulkIngest, ascending), so the
	// caller can journal which job carries which record (and after a crash
	// collect the outcome with IngestJobResults instead of sending the
	// records again). A record goes in a later job too when it was split
	// off by size, or sent again after the job before it ended without
	// applying it (locked, unprocessed, a lost upload): that job has then
	// ended, or was never closed, so the last job a record was handed over
	// with is the only one that can still apply it. An error aborts that
	// job (nothing of it was applied) and stops BulkIngest.
	OnJobCreated func(jobID string, records []int) error
	// PollInterval and MaxPollInterval bound the job polling backoff
	// (default: the client's Config values).
	PollInterval, MaxPollInterval time.Duration
	// JobAttempts is how many jobs a set of records may go through when a
	// job ends Failed as a whole (default 3; 1 never runs a job again). Only
	// records proven unapplied are sent again: those Salesforce lists as
	// unprocessed (or, when successfulResults and failedResults account for
	// every processed record, those in neither), and, for update and upsert
	// only (idempotent), records whose outcome could not be read. An insert
	// record without a known outcome is never sent again (MaybeSent). A job
	// that failed for its input ("InvalidBatch", "InvalidJob",
	// "ClientInputError") is not run again.
	JobAttempts int
	// MaxUploadBytes caps one job's CSV (default MaxIngestUpload); more
	// records are split over several jobs, run one after the other.
	MaxUploadBytes int
}

// IngestJob is a Bulk API 2.0 ingest job's info (GET /jobs/ingest/{id}).
type IngestJob struct {
	ID                     string  `json:"id"`
	Object                 string  `json:"object"`
	Operation              string  `json:"operation"`
	ExternalIDFieldName    string  `json:"externalIdFieldName"`
	State                  string  `json:"state"`
	ErrorMessage           string  `json:"errorMessage"`
	NumberRecordsProcessed int64   `json:"numberRecordsProcessed"`
	NumberRecordsFailed    int64   `json:"numberRecordsFailed"`
	Retries                int     `json:"retries"`
	TotalProcessingTime    int64   `json:"totalProcessingTime"`
	APIVersion             float64 `json:"apiVersion"`
	ColumnDelimiter        string  `json:"columnDelimiter"`
	LineEnding             string  `json:"lineEnding"`
	// Records is how many records BulkIngest uploaded in the job (0 when
	// its upload did not complete).
	Records int `json:"-"`
}

// IngestResult is the outcome of BulkIngest.
type IngestResult struct {
	// Results holds one entry per input record, in input order (see
	// RecordResult; Attempts counts the jobs that carried the record).
	Results []RecordResult
	// Jobs lists every job created, in order: more than one when the
	// records were split by size, a Failed job was run again, records
	// refused with UNABLE_TO_LOCK_ROW were sent again, or an upload's
	// answer was lost. State is the job's last known state.
	Jobs []IngestJob
}

// JobIDs returns the ids of Jobs.
func (r IngestResult) JobIDs() []string {
	ids := make([]string, len(r.Jobs))
	for i, j := range r.Jobs {
		ids[i] = j.ID
	}
	return ids
}

// BulkIngest writes records of object through Bulk API 2.0 ingest jobs: a
// handful of calls for any number of records (create, upload, close, a few
// polls, three result downloads), against one call per 200 records with
// Create/Update/Upsert. Use it from about 10,000 records of one object.
//
// Records are written as one CSV (COMMA, LF) per job, split into several
// jobs above MaxUploadBytes. A field missing from a record is an empty cell
// (left unchanged on update); nil and "" become #N/A (set to null), as they
// do through REST. A nested Record or map is a relationship by external id
// ("Account": {"Ext__c": "x"} is the column Account.Ext__c). Records that
// cannot be written (a missing or duplicate key, invalid UTF-8, a value over
// 32,000 characters, the literal value "#N/A", which Bulk API would read as
// null) are refused locally: NotSent, status NAVSYNC_INVALID_INPUT.
//
// Results come back as one RecordResult per input record, in input order,
// joined on KeyField: successfulResults and failedResults are Answered
// (errors parsed from sf__Error), unprocessed records NotSent; a record
// whose outcome is unknown after the upload completed (results unreadable,
// polling failed) is MaybeSent, and the job ids in the result let
// IngestJobResults collect it later. Records refused with UNABLE_TO_LOCK_ROW
// were not applied and are sent again in a new job, following the client's
// RetryPolicy. Assignment rules do not run: no assignmentRuleId is set.
//
// No record is applied twice: data is applied only when a job is closed
// (UploadComplete), one upload per job. A lost answer to the job creation
// may leave an empty Open job behind, which never applies anything. A lost
// answer to the upload aborts that job (never closed, so nothing of it was
// applied) and starts a new one. A lost answer to the close is settled by
// reading the job's state (and aborting it if still Open) and its results.
// Cancelling ctx before the close aborts the job; after the close the job
// runs on in Salesforce and its records are MaybeSent.
//
// The error is the first failure after which the remaining records were
// not sent (or a job that ended Failed or Aborted: *BulkJobError); per-record
// failures are only in Results.
func (c *Client) BulkIngest(ctx context.Context, object string, records []Record, opts IngestOptions) (IngestResult, error) {
	res := IngestResult{}
	if err := c.ingestDefaults(object, &opts); err != nil {
		return res, err
	}
	res.Results = make([]RecordResult, len(records))
	d, err := encodeIngest(opts.Operation, opts.KeyField, opts.ExternalIDField, records, res.Results, opts.MaxUploadBytes)
	if err != nil {
		return IngestResult{}, fmt.Errorf("bulk ingest %s %s: %w", opts.Operation, object, err)
	}
	groups := d.split(opts.MaxUploadBytes)
	for gi, g := range groups {
		if err := c.ingestGroup(ctx, object, &opts, d, g, &res); err != nil {
			for _, later := range groups[gi+1:] {
				for _, i := range later {
					res.Results[i] = RecordResult{Sent: NotSent, RequestErr: fmt.Errorf("not sent after an earlier failure: %w", err)}
				}
			}
			return res, fmt.Errorf("bulk ingest %s %s: %w", opts.Operation, object, err)
		}
	}
	return res, nil
}

func (c *Client) ingestDefaults(object string, o *IngestOptions) error {
	if !validName(object) || strings.Contains(object, ".") {
		return fmt.Errorf("bulk ingest: invalid object name %q", object)
	}
	switch o.Operation {
	case "insert", "update", "upsert":
	default:
		return fmt.Errorf("bulk ingest: operation %q (want insert, update or upsert)", o.Operation)
	}
	if o.Operation == "upsert" {
		if !plainName(o.ExternalIDField) {
			return fmt.Errorf("bulk ingest: upsert needs a valid external id field, not %q", o.ExternalIDField)
		}
	} else if o.ExternalIDField != "" {
		return fmt.Errorf("bulk ingest: an external id field is for upsert only, not %s", o.Operation)
	}
	if o.KeyField == "" {
		switch o.Operation {
		case "update":
			o.KeyField = "Id"
		case "upsert":
			o.KeyField = o.ExternalIDField
		default:
			return errors.New("bulk ingest: insert needs IngestOptions.KeyField, a field with a unique value per record to join the results on")
		}
	}
	if !plainName(o.KeyField) {
		return fmt.Errorf("bulk ingest: invalid key field %q", o.KeyField)
	}
	if o.Operation == "insert" && strings.EqualFold(o.KeyField, "Id") {
		return errors.New("bulk ingest: an insert cannot be keyed on Id")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = c.cfg.PollInterval
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = max(c.cfg.MaxPollInterval, o.PollInterval)
	}
	if o.JobAttempts <= 0 {
		o.JobAttempts = 3
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = MaxIngestUpload
	}
	return nil
}

func plainName(s string) bool { return validName(s) && !strings.Contains(s, ".") }

// ---- CSV encoding ----

// ingestData is the records encoded for upload.
type ingestData struct {
	head  string   // the header line; column 0 is the key
	cols  []string // column names
	rows  []string // each record's CSV line ("" for records refused locally)
	keys  []string // each record's key value
	valid []int    // records to send, in input order
}

func invalidInput(msg string) RecordResult {
	return RecordResult{Sent: NotSent, Errors: []RecordError{{StatusCode: "NAVSYNC_INVALID_INPUT", Message: msg}}}
}

// encodeIngest validates the records, refusing bad ones in results, and
// encodes the rest. The columns are the union of the records' fields, the
// key first, the rest sorted (field names compare case-insensitively, as
// Salesforce's do; the first spelling is kept).
func encodeIngest(op, key, extField string, records []Record, results []RecordResult, maxBytes int) (*ingestData, error) {
	d := &ingestData{rows: make([]string, len(records)), keys: make([]string, len(records))}
	lkey, lext := strings.ToLower(key), strings.ToLower(extField)
	spelling := map[string]string{lkey: key} // lower-case column -> header spelling
	seen := map[string]int{}                 // key value -> first record with it
	ok := make([]bool, len(records))
	var names []string
	for i, rec := range records {
		names = names[:0]
		var keyVal, idVal, extVal string
		msg := flattenRecord(op, rec, func(col, val string) string {
			if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, col) }) {
				return "given twice"
			}
			names = append(names, col)
			lc := strings.ToLower(col)
			if lc == lkey {
				keyVal = val
			}
			if lc == "id" {
				idVal = val
			}
			if lc == lext {
				extVal = val
			}
			return ""
		})
		if msg == "" {
			msg = checkIngestKeys(op, key, extField, keyVal, idVal, extVal)
		}
		if msg == "" {
			norm := keyVal
			if lkey == "id" {
				if id18, err := sfid.To18(keyVal); err == nil {
					norm = id18
				}
			}
			if j, dup := seen[norm]; dup {
				msg = fmt.Sprintf("%s value of record %d given again; one job applies each key once (send it in a later call)", key, j)
			} else {
				seen[norm] = i
			}
		}
		if msg != "" {
			results[i] = invalidInput(msg)
			continue
		}
		ok[i] = true
		d.keys[i] = keyVal
		for _, col := range names {
			if lc := strings.ToLower(col); spelling[lc] == "" {
				spelling[lc] = col
			}
		}
	}
	d.cols = []string{key}
	for lc, col := range spelling {
		if lc != lkey {
			d.cols = append(d.cols, col)
		}
	}
	slices.SortFunc(d.cols[1:], func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	if len(d.cols) > maxIngestFields {
		return nil, fmt.Errorf("%d columns, Bulk API allows %d", len(d.cols), maxIngestFields)
	}
	d.head = strings.Join(d.cols, ",") + "\n"
	if len(d.head) > maxIngestHeader {
		return nil, fmt.Errorf("a header of %d characters, Bulk API allows %d", len(d.head), maxIngestHeader)
	}
	colIdx := make(map[string]int, len(d.cols))
	for p, col := range d.cols {
		colIdx[strings.ToLower(col)] = p
	}
	vals := make([]string, len(d.cols))
	var b strings.Builder
	for i, rec := range records {
		if !ok[i] {
			continue
		}
		clear(vals)
		_ = flattenRecord(op, rec, func(col, val string) string {
			vals[colIdx[strings.ToLower(col)]] = val
			return ""
		})
		b.Reset()
		for k, v := range vals {
			if k > 0 {
				b.WriteByte(',')
			}
			writeCSVField(&b, v)
		}
		b.WriteByte('\n')
		if len(d.head)+b.Len() > maxBytes {
			results[i] = invalidInput(fmt.Sprintf("a record of %d bytes does not fit an upload of %d bytes", b.Len(), maxBytes))
			continue
		}
		d.rows[i] = b.String()
		d.valid = append(d.valid, i)
	}
	return d, nil
}

// checkIngestKeys applies the operation's rules (as checkRecord does for
// collections) and requires the join key.
func checkIngestKeys(op, key, extField, keyVal, idVal, extVal string) string {
	missing := func(v string) bool { return v == "" || v == "#N/A" }
	switch {
	case op == "update" && missing(idVal):
		return "a record to update needs an Id"
	case op == "upsert" && missing(extVal):
		return "a record to upsert needs a value in " + extField
	case missing(keyVal):
		return "a record needs a value in " + key + ", the key its result is joined on"
	}
	return ""
}

// flattenRecord calls fn for each column of rec with its CSV value (before
// quoting): nil and "" are #N/A (null), a nested map is a relationship
// column Rel.Field. It stops at the first problem and returns its message
// (or fn's).
func flattenRecord(op string, rec Record, fn func(col, val string) string) string {
	for f, v := range rec {
		if f == "attributes" {
			continue
		}
		if !plainName(f) {
			return fmt.Sprintf("invalid field name %q", f)
		}
		if strings.EqualFold(f, "Id") && op == "insert" {
			if v == nil || v == "" {
				continue // an empty Id column means nothing on insert
			}
			return "a record to insert must not carry an Id"
		}
		var sub map[string]any
		switch m := v.(type) {
		case map[string]any:
			sub = m
		case Record:
			sub = m
		}
		if sub != nil {
			if len(sub) == 0 {
				return "relationship " + f + " names no field"
			}
			for pf, pv := range sub {
				if pf == "attributes" {
					continue
				}
				if !plainName(pf) {
					return fmt.Sprintf("invalid field name %q in relationship %s", pf, f)
				}
				s, msg := ingestValue(pv)
				if msg == "" {
					msg = fn(f+"."+pf, s)
				}
				if msg != "" {
					return f + "." + pf + ": " + msg
				}
			}
			continue
		}
		s, msg := ingestValue(v)
		if msg == "" {
			msg = fn(f, s)
		}
		if msg != "" {
			return f + ": " + msg
		}
	}
	return ""
}

// ingestValue renders one value for a Bulk CSV: #N/A for nil and "" (null,
// as REST stores an empty string), the JSON form of numbers and booleans,
// datetimes as 2006-01-02T15:04:05.000Z.
func ingestValue(v any) (string, string) {
	var s string
	switch x := v.(type) {
	case nil:
		return "#N/A", ""
	case string:
		s = x
	case bool:
		return strconv.FormatBool(x), ""
	case json.Number:
		s = x.String()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", "not a finite number"
		}
		return strconv.FormatFloat(x, 'f', -1, 64), ""
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return "", "not a finite number"
		}
		return strconv.FormatFloat(float64(x), 'f', -1, 32), ""
	case int:
		return strconv.Itoa(x), ""
	case int64:
		return strconv.FormatInt(x, 10), ""
	case int32:
		return strconv.FormatInt(int64(x), 10), ""
	case uint64:
		return strconv.FormatUint(x, 10), ""
	case uint32:
		return strconv.FormatUint(uint64(x), 10), ""
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z"), ""
	default:
		b, err := json.Marshal(x)
		if err != nil || len(b) == 0 || b[0] == '{' || b[0] == '[' {
			return "", fmt.Sprintf("unsupported value of type %T", v)
		}
		if b[0] == '"' {
			if err := json.Unmarshal(b, &s); err != nil {
				return "", fmt.Sprintf("unsupported value of type %T", v)
			}
		} else {
			s = string(b)
		}
	}
	switch {
	case s == "":
		return "#N/A", ""
	case s == "#N/A":
		return "", `the value "#N/A" would set the field to null in Bulk API; write it through Update instead`
	case !utf8.ValidString(s):
		return "", "value is not valid UTF-8"
	case len(s) > MaxIngestFieldChars && utf8.RuneCountInString(s) > MaxIngestFieldChars:
		return "", fmt.Sprintf("value longer than %d characters, the Bulk API limit", MaxIngestFieldChars)
	}
	return s, ""
}

// writeCSVField writes v, quoted when it holds a comma, a quote or a line
// break (quotes doubled). Values are not trimmed by Salesforce, and no space
// is ever written around a quote.
func writeCSVField(b *strings.Builder, v string) {
	if !strings.ContainsAny(v, ",\"\r\n") {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(v, `"`, `""`))
	b.WriteByte('"')
}

// split groups the valid records into uploads of at most maxBytes.
func (d *ingestData) split(maxBytes int) [][]int {
	var groups [][]int
	var cur []int
	size := len(d.head)
	for _, i := range d.valid {
		n := len(d.rows[i])
		if len(cur) > 0 && size+n > maxBytes {
			groups = append(groups, cur)
			cur, size = nil, len(d.head)
		}
		cur = append(cur, i)
		size += n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

func (d *ingestData) csv(idx []int) []byte {
	n := len(d.head)
	for _, i := range idx {
		n += len(d.rows[i])
	}
	b := make([]byte, 0, n)
	b = append(b, d.head...)
	for _, i := range idx {
		b = append(b, d.rows[i]...)
	}
	return b
}

// ---- running jobs ----

// ingestGroup runs the records idx (one upload's worth) to an outcome:
// again in a new job after a lost upload answer, for the records a Failed
// job left unprocessed, and for records refused with UNABLE_TO_LOCK_ROW.
func (c *Client) ingestGroup(ctx context.Context, object string, o *IngestOptions, d *ingestData, idx []int, res *IngestResult) error {
	failedJobs, lockRounds, lostUploads := 0, 0, 0
	todo := idx
	for len(todo) > 0 {
		out := c.ingestJob(ctx, object, o, d, todo, res)
		if out.lostUpload && lostUploads+1 < c.retry.MaxAttempts {
			lostUploads++
			c.retries.Add(1)
			c.log.Warn("bulk ingest upload got no answer; its job was aborted, starting a new one", "job", out.job.ID, "attempt", lostUploads)
			if err := sleep(ctx, c.retry.Backoff(lostUploads, 0)); err != nil {
				return err
			}
			continue
		}
		if out.err != nil {
			return out.err
		}
		var next []int
		var jobErr error
		if st := out.job.State; st == "Failed" || st == "Aborted" {
			jobErr = &BulkJobError{JobID: out.job.ID, State: st, ErrorMessage: out.job.ErrorMessage}
			if st == "Failed" && rerunnable(out.job.ErrorMessage) && failedJobs+1 < o.JobAttempts {
				failedJobs++
				next = append(next, out.unprocessed...)
				if o.Operation != "insert" {
					next = append(next, out.unknown...)
				}
				c.log.Warn("bulk ingest job failed; running its unprocessed records again", "job", out.job.ID,
					"records", len(next), "attempt", failedJobs)
				jobErr = nil
			}
		}
		if jobErr != nil {
			return jobErr
		}
		if len(out.locked) > 0 && lockRounds+1 < c.retry.MaxAttempts {
			lockRounds++
			c.retries.Add(1)
			c.log.Warn("records locked; sending them again in a new job", "job", out.job.ID, "records", len(out.locked), "round", lockRounds)
			if err := sleep(ctx, c.retry.Backoff(lockRounds, 0)); err != nil {
				return nil // results hold the lock errors
			}
			next = append(next, out.locked...)
		}
		slices.Sort(next)
		todo = slices.Compact(next)
	}
	return nil
}

// rerunnable: a job that failed for its input would fail again.
func rerunnable(msg string) bool {
	for _, p := range []string{"InvalidBatch", "InvalidJob", "ClientInputError"} {
		if strings.HasPrefix(strings.TrimSpace(msg), p) {
			return false
		}
	}
	return true
}

// jobOutcome is what one ingest job did with its records.
type jobOutcome struct {
	job IngestJob
	err error
	// lostUpload: the upload got no answer and the job was aborted before
	// it was closed; nothing of it was applied.
	lostUpload bool
	// unprocessed were certainly not applied; unknown have no outcome;
	// locked failed only with UNABLE_TO_LOCK_ROW.
	unprocessed, unknown, locked []int
}

// ingestJob runs one job for the records idx and fills their results.
func (c *Client) ingestJob(ctx context.Context, object string, o *IngestOptions, d *ingestData, idx []int, res *IngestResult) jobOutcome {
	attempts := make([]int, len(idx))
	for k, i := range idx {
		attempts[k] = res.Results[i].Attempts + 1
	}
	setAll := func(st SendState, err error) {
		for k, i := range idx {
			res.Results[i] = RecordResult{Sent: st, RequestErr: err, Attempts: attempts[k]}
		}
	}
	body := map[string]string{"object": object, "operation": o.Operation, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
	if o.Operation == "upsert" {
		body["externalIdFieldName"] = o.ExternalIDField
	}
	var job IngestJob
	// Creation may be resent: a duplicate job stays Open without data and
	// never applies anything.
	err := c.doJSON(ctx, &request{method: http.MethodPost, path: "/jobs/ingest", idempotent: true}, body, &job)
	if err == nil && job.ID == "" {
		err = errors.New("no job id in the answer")
	}
	if err != nil {
		err = fmt.Errorf("create bulk ingest job: %w", err)
		setAll(NotSent, err)
		return jobOutcome{err: err}
	}
	id := job.ID
	res.Jobs = append(res.Jobs, job)
	jx := len(res.Jobs) - 1
	c.log.Info("bulk ingest job created", "job", id, "object", object, "operation", o.Operation, "records", len(idx))
	// notApplied ends a job that was never closed: nothing of it can have
	// been applied, whether or not the abort gets through.
	notApplied := func(err error) jobOutcome {
		if c.abortIngest(ctx, id) {
			res.Jobs[jx].State = "Aborted"
		}
		setAll(NotSent, err)
		return jobOutcome{job: res.Jobs[jx], err: err}
	}
	if o.OnJobCreated != nil {
		if err := o.OnJobCreated(id, slices.Clone(idx)); err != nil {
			return notApplied(fmt.Errorf("bulk ingest job %s: journal: %w", id, err))
		}
	}

	// One upload per job, never resent after a lost answer: the job is
	// aborted instead (it was never closed, so nothing of it was applied).
	up := &request{method: http.MethodPut, path: "/jobs/ingest/" + id + "/batches", body: d.csv(idx), contentType: "text/csv"}
	if err := c.doJSON(ctx, up, nil, nil); err != nil {
		out := notApplied(fmt.Errorf("bulk ingest job %s upload (job aborted, nothing applied): %w", id, err))
		out.lostUpload = SendStateOf(err) == MaybeSent && ctx.Err() == nil
		return out
	}
	res.Jobs[jx].Records = len(idx)

	// Close. Resending it is harmless (a job is processed once). Unless it
	// certainly never left (ctx ended first), a failed close is settled by
	// the job's state: still Open means not closed, so it is aborted; either
	// way its results then tell exactly what was applied.
	var closeErr error
	cl := &request{method: http.MethodPatch, path: "/jobs/ingest/" + id, idempotent: true}
	if err := c.doJSON(ctx, cl, map[string]string{"state": "UploadComplete"}, &job); err != nil {
		if ctx.Err() != nil && SendStateOf(err) == NotSent {
			return notApplied(fmt.Errorf("bulk ingest job %s not closed (job aborted, nothing applied): %w", id, err))
		}
		info, gerr := c.getIngestJob(ctx, id)
		if gerr != nil {
			err = fmt.Errorf("bulk ingest job %s: closing it failed and its state is unknown (collect it with IngestJobResults): %w", id, err)
			setAll(MaybeSent, err)
			return jobOutcome{job: res.Jobs[jx], err: err}
		}
		if info.State == "Open" {
			c.abortIngest(ctx, id)
			closeErr = fmt.Errorf("bulk ingest job %s: closing it failed, so it was aborted: %w", id, err)
		}
	}

	job, err = c.waitIngestJob(ctx, id, o.PollInterval, o.MaxPollInterval)
	if err != nil {
		err = fmt.Errorf("bulk ingest job %s was closed but did not finish here (collect it with IngestJobResults): %w", id, err)
		setAll(MaybeSent, err)
		return jobOutcome{job: res.Jobs[jx], err: err}
	}
	job.Records = res.Jobs[jx].Records
	res.Jobs[jx] = job
	c.log.Info("bulk ingest job finished", "job", id, "state", job.State, "processed", job.NumberRecordsProcessed, "failed", job.NumberRecordsFailed)

	rr, err := c.readIngestResults(ctx, &job, o.KeyField)
	if err != nil {
		err = fmt.Errorf("bulk ingest job %s ended %s but its results could not be read (collect them with IngestJobResults): %w", id, job.State, err)
		setAll(MaybeSent, err)
		return jobOutcome{job: job, err: err}
	}
	out := jobOutcome{job: job, err: closeErr}
	var jobErr error
	if job.State != "JobComplete" {
		jobErr = &BulkJobError{JobID: id, State: job.State, ErrorMessage: job.ErrorMessage}
	}
	for k, i := range idx {
		r, found := rr.byKey[d.keys[i]]
		switch {
		case found:
			r.Attempts = attempts[k]
			if r.Sent == NotSent {
				out.unprocessed = append(out.unprocessed, i)
			} else if !r.Success && onlyLockErrors(r.Errors) {
				out.locked = append(out.locked, i)
			}
		case rr.complete:
			// Every processed record is accounted for: this one was not.
			err := jobErr
			if err == nil {
				err = fmt.Errorf("bulk ingest job %s processed every record but this one", id)
			}
			r = RecordResult{Sent: NotSent, RequestErr: err, Attempts: attempts[k]}
			out.unprocessed = append(out.unprocessed, i)
		default:
			r = RecordResult{Sent: MaybeSent, Attempts: attempts[k],
				RequestErr: fmt.Errorf("bulk ingest job %s (%s) gave no result for this record", id, job.State)}
			out.unknown = append(out.unknown, i)
		}
		res.Results[i] = r
	}
	return out
}

func (c *Client) getIngestJob(ctx context.Context, id string) (IngestJob, error) {
	var job IngestJob
	err := c.doJSON(ctx, &request{method: http.MethodGet, path: "/jobs/ingest/" + id, idempotent: true}, nil, &job)
	if err == nil && job.ID == "" {
		err = errors.New("no job id in the answer")
	}
	if err != nil {
		return job, fmt.Errorf("bulk ingest job %s: %w", id, err)
	}
	return job, nil
}

// waitIngestJob polls with backoff until the job is JobComplete, Failed or
// Aborted. Unlike a query, a cancelled ctx does not abort it: a closed
// ingest job may already have applied records, and finishing it keeps its
// outcome readable.
func (c *Client) waitIngestJob(ctx context.Context, id string, delay, maxDelay time.Duration) (IngestJob, error) {
	for {
		job, err := c.getIngestJob(ctx, id)
		if err != nil {
			return job, err
		}
		switch job.State {
		case "JobComplete", "Failed", "Aborted":
			return job, nil
		}
		if err := sleep(ctx, delay); err != nil {
			return job, err
		}
		delay = min(delay*3/2, maxDelay)
	}
}

// abortIngest PATCHes the job to Aborted on a context of its own (the
// caller's may be cancelled), logging a failure. It reports success.
func (c *Client) abortIngest(ctx context.Context, id string) bool {
	if err := c.abortIngestErr(ctx, id); err != nil {
		c.log.Warn("bulk ingest job abort failed", "job", id, "err", err.Error())
		return false
	}
	c.log.Info("bulk ingest job aborted", "job", id)
	return true
}

func (c *Client) abortIngestErr(ctx context.Context, id string) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	r := &request{method: http.MethodPatch, path: "/jobs/ingest/" + id, idempotent: true}
	return c.doJSON(actx, r, map[string]string{"state": "Aborted"}, nil)
}

// ---- results ----

// ingestResults is a finished job's outcome per key value.
type ingestResults struct {
	byKey map[string]RecordResult
	// complete: successfulResults and failedResults hold as many rows as
	// the job processed, so a key in neither was not processed.
	complete bool
}

// readIngestResults downloads the three result files of a finished job and
// indexes them by the key column.
func (c *Client) readIngestResults(ctx context.Context, job *IngestJob, key string) (*ingestResults, error) {
	delim, err := delimiterByte(job.ColumnDelimiter)
	if err != nil {
		return nil, err
	}
	rr := &ingestResults{byKey: map[string]RecordResult{}}
	conflict := map[string]bool{}
	put := func(k string, r RecordResult) {
		if _, dup := rr.byKey[k]; dup || conflict[k] {
			conflict[k] = true
			r = RecordResult{Sent: MaybeSent, RequestErr: fmt.Errorf("bulk ingest job %s lists this key more than once", job.ID)}
		}
		rr.byKey[k] = r
	}
	var jobErr error = &BulkJobError{JobID: job.ID, State: job.State, ErrorMessage: job.ErrorMessage}
	processed := int64(0)
	for _, which := range []string{"successfulResults", "failedResults", "unprocessedrecords"} {
		data, err := c.fetchIngestCSV(ctx, job.ID, which)
		if err != nil {
			return nil, err
		}
		p := NewRowParser(data, delim)
		header, err := p.Next()
		if err == io.EOF {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bulk ingest job %s %s: %w", job.ID, which, err)
		}
		header = slices.Clone(header)
		kc := slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(h, key) })
		lead := 0
		if which != "unprocessedrecords" {
			lead = 2
			if len(header) < 2 || !strings.HasPrefix(header[0], "sf__") || !strings.HasPrefix(header[1], "sf__") {
				return nil, fmt.Errorf("bulk ingest job %s %s: unexpected header", job.ID, which)
			}
		}
		if kc < lead {
			kc = -1
		}
		for {
			row, err := p.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("bulk ingest job %s %s: %w", job.ID, which, err)
			}
			if len(row) != len(header) {
				return nil, fmt.Errorf("bulk ingest job %s %s line %d: %d fields, header has %d", job.ID, which, p.Line()-1, len(row), len(header))
			}
			if which != "unprocessedrecords" {
				processed++
			}
			if kc < 0 {
				return nil, fmt.Errorf("bulk ingest job %s %s: no column %s to join on", job.ID, which, key)
			}
			k := strings.Clone(row[kc])
			switch which {
			case "successfulResults":
				put(k, RecordResult{ID: strings.Clone(row[0]), Success: true, Created: row[1] == "true", Sent: Answered})
			case "failedResults":
				put(k, RecordResult{ID: strings.Clone(row[0]), Errors: parseBulkError(row[1]), Sent: Answered})
			default:
				put(k, RecordResult{Sent: NotSent, RequestErr: jobErr})
			}
		}
	}
	rr.complete = processed == job.NumberRecordsProcessed
	return rr, nil
}

// fetchIngestCSV downloads one result file whole, fetching it again when
// the transfer breaks.
func (c *Client) fetchIngestCSV(ctx context.Context, jobID, which string) (string, error) {
	r := &request{method: http.MethodGet, path: "/jobs/ingest/" + jobID + "/" + which, accept: "text/csv", idempotent: true}
	for attempt := 1; ; attempt++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return "", fmt.Errorf("bulk ingest job %s %s: %w", jobID, which, err)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if err == nil && !completeCSV(b.Bytes()) {
			err = errTruncatedPage
		}
		if err == nil {
			return b.String(), nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if (!transientNetErr(err) && err != errTruncatedPage) || attempt >= c.retry.MaxAttempts {
			return "", &RequestError{Method: r.method, Path: r.route(), Sent: Answered, Err: fmt.Errorf("bulk ingest job %s %s: %w", jobID, which, err)}
		}
		c.retries.Add(1)
		c.log.Warn("bulk ingest results broke off; fetching them again", "job", jobID, "file", which, "attempt", attempt)
		if err := sleep(ctx, c.retry.Backoff(attempt, 0)); err != nil {
			return "", err
		}
	}
}

// parseBulkError reads an sf__Error value, "CODE:message:field1,field2 --"
// or "CODE:message:--" (the message may itself hold colons).
func parseBulkError(s string) []RecordError {
	s = strings.TrimSpace(s)
	code, rest, ok := strings.Cut(s, ":")
	if !ok || !isStatusCode(code) {
		return []RecordError{{Message: s}}
	}
	e := RecordError{StatusCode: code, Message: rest}
	switch {
	case strings.HasSuffix(rest, ":--"):
		e.Message = strings.TrimSuffix(rest, ":--")
	case strings.HasSuffix(rest, " --"):
		r := strings.TrimSuffix(rest, " --")
		if i := strings.LastIndexByte(r, ':'); i >= 0 {
			for f := range strings.SplitSeq(r[i+1:], ",") {
				if f = strings.TrimSpace(f); f != "" {
					e.Fields = append(e.Fields, f)
				}
			}
			r = r[:i]
		}
		e.Message = r
	}
	return []RecordError{e}
}

func isStatusCode(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// DeleteIngestJob deletes a finished ingest job and its result files
// (DELETE /jobs/ingest/{id}); Salesforce otherwise keeps them 7 days.
// Salesforce deletes a job UploadComplete (closed, not started: it then
// never runs), JobComplete, Failed or Aborted, and refuses one Open or
// InProgress (an *APIError, 400 API_ERROR). An unknown or already deleted
// id is ErrNotFound. Delete a job only once its outcome is kept elsewhere:
// after that, IngestJobResults cannot read it.
func (c *Client) DeleteIngestJob(ctx context.Context, jobID string) error {
	return c.deleteJob(ctx, "ingest", jobID)
}

// ---- recovery ----

// IngestJobReport is a job's outcome per record, for a run that lost track
// of it (killed after journalling the job id).
type IngestJobReport struct {
	Job IngestJob
	// KeyField is the column Results is keyed by.
	KeyField string
	// Results maps each key value in the job's result files to its outcome:
	// Answered (successfulResults, failedResults: Success, ID, Created,
	// Errors) or NotSent (unprocessedrecords). A key listed twice is
	// MaybeSent.
	Results map[string]RecordResult
	// Aborted: the job was still Open (its upload never completed or it was
	// never closed) and this call aborted it; nothing of it was applied.
	Aborted bool
	// Complete: the result files account for every record the job
	// processed, so a record absent from Results was certainly not applied.
	Complete bool
}

// IngestJobResults settles a job journalled by a run that did not see it
// finish: a job still Open (upload not completed, never closed: nothing
// applied) is aborted so it never runs; otherwise it waits for the job to
// finish. It returns the per-record outcome keyed by keyField's value
// (default: Id for update and delete, the external id field for upsert;
// insert needs the key column that run used), so a rerun can reconcile
// without sending anything again.
//
// Do not call it for a job that a live BulkIngest is still uploading: it
// would abort that job.
func (c *Client) IngestJobResults(ctx context.Context, jobID, keyField string) (*IngestJobReport, error) {
	if !sfid.Valid(jobID) {
		return nil, fmt.Errorf("bulk ingest: invalid job id %q", jobID)
	}
	job, err := c.getIngestJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	rep := &IngestJobReport{}
	if job.State == "Open" {
		if err := c.abortIngestErr(ctx, jobID); err != nil {
			// Refused when it was closed meanwhile; then it runs.
			if job, err = c.getIngestJob(ctx, jobID); err != nil {
				return nil, err
			}
			if job.State == "Open" {
				return nil, fmt.Errorf("bulk ingest job %s is Open and could not be aborted", jobID)
			}
		} else {
			rep.Aborted = true
			c.log.Info("bulk ingest job was still open; aborted it", "job", jobID)
		}
	}
	job, err = c.waitIngestJob(ctx, jobID, c.cfg.PollInterval, c.cfg.MaxPollInterval)
	if err != nil {
		return nil, err
	}
	rep.Job = job
	if keyField == "" {
		switch job.Operation {
		case "update", "delete", "hardDelete":
			keyField = "Id"
		case "upsert":
			keyField = job.ExternalIDFieldName
		default:
			return nil, fmt.Errorf("bulk ingest job %s is an %s: name the key column its records carry", jobID, job.Operation)
		}
	}
	if !plainName(keyField) {
		return nil, fmt.Errorf("bulk ingest: invalid key field %q", keyField)
	}
	rep.KeyField = keyField
	rr, err := c.readIngestResults(ctx, &job, keyField)
	if err != nil {
		return nil, err
	}
	rep.Results, rep.Complete = rr.byKey, rr.complete
	return rep, nil
}
