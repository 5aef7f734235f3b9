package sfbulk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// BulkQueryOptions tunes a Bulk API 2.0 query.
type BulkQueryOptions struct {
	// All runs queryAll (deleted, merged and archived rows included).
	All bool
	// PageSize is maxRecords per results page (default 50,000). Memory is
	// bounded by about three pages whatever the number of rows.
	PageSize int
	// ColumnDelimiter (COMMA default, TAB, PIPE, SEMICOLON, CARET, BACKQUOTE)
	// and LineEnding (LF default, CRLF).
	ColumnDelimiter, LineEnding string
	// JobAttempts is how many jobs to run when one ends Failed before any row
	// was delivered (default 3). Aborted jobs are not re-run.
	JobAttempts int
	// DeleteJob deletes the job and its stored results after a complete read
	// (a failed delete is logged). A caller that must delete failed jobs
	// too, or only once it has stored the rows, calls DeleteQueryJob with
	// QueryStats.JobIDs instead.
	DeleteJob bool
}

// QueryStats describes a finished (or stopped) Bulk query.
type QueryStats struct {
	JobID string
	// JobIDs are every job created, in order (JobID is the last): a job
	// that ended Failed and was run again stays in the org until deleted.
	JobIDs []string
	// Rows handed to the caller; Pages and Bytes (uncompressed CSV) read.
	Rows  int64
	Pages int
	Bytes int64
	// JobsRun counts jobs created (more than 1 after a Failed job);
	// PageRetries counts pages fetched again after a failed transfer.
	JobsRun, PageRetries int
	Elapsed              time.Duration
}

// BulkJob is a Bulk 2.0 job's info (GET /jobs/query/{id}).
type BulkJob struct {
	ID                     string  `json:"id"`
	Operation              string  `json:"operation"`
	Object                 string  `json:"object"`
	State                  string  `json:"state"`
	ErrorMessage           string  `json:"errorMessage"`
	NumberRecordsProcessed int64   `json:"numberRecordsProcessed"`
	Retries                int     `json:"retries"`
	TotalProcessingTime    int64   `json:"totalProcessingTime"`
	APIVersion             float64 `json:"apiVersion"`
	ColumnDelimiter        string  `json:"columnDelimiter"`
	LineEnding             string  `json:"lineEnding"`
}

// BulkQuery runs soql as a Bulk API 2.0 query job and calls fn for every
// row, page after page, without holding the result in memory: the next page
// downloads while fn consumes the current one. header is the page's header
// row (the same on every page); header and row are reused between calls, the
// strings in them are not (see RowParser on retaining them). An error from fn
// stops the query and is returned as is.
//
// A page whose transfer fails is fetched again by its locator; a job that
// ends Failed is run again (JobAttempts); cancelling ctx aborts a running
// job. The row count is checked against each page's Sforce-NumberOfRecords
// and the job's numberRecordsProcessed.
func (c *Client) BulkQuery(ctx context.Context, soql string, opts BulkQueryOptions, fn func(header, row []string) error) (QueryStats, error) {
	return c.bulkQuery(ctx, soql, opts, fn, nil)
}

// BulkQueryCSV writes the result as one CSV in Bulk 2.0 result format
// (header once, then every page's rows, byte for byte) to w.
func (c *Client) BulkQueryCSV(ctx context.Context, soql string, opts BulkQueryOptions, w io.Writer) (QueryStats, error) {
	return c.bulkQuery(ctx, soql, opts, nil, w)
}

func (c *Client) bulkQuery(ctx context.Context, soql string, opts BulkQueryOptions, fn func(header, row []string) error, w io.Writer) (QueryStats, error) {
	start := time.Now()
	var st QueryStats
	if opts.PageSize <= 0 {
		opts.PageSize = 50000
	}
	if opts.JobAttempts <= 0 {
		opts.JobAttempts = 3
	}
	delim, err := delimiterByte(opts.ColumnDelimiter)
	if err != nil {
		return st, err
	}
	le := strings.ToUpper(opts.LineEnding)
	if le == "" {
		le = "LF"
	}
	if le != "LF" && le != "CRLF" {
		return st, fmt.Errorf("bulk query: unknown line ending %q", opts.LineEnding)
	}
	op := "query"
	if opts.All {
		op = "queryAll"
	}
	var job *BulkJob
	for {
		st.JobsRun++
		id, err := c.createQueryJob(ctx, op, soql, opts.ColumnDelimiter, le)
		if err != nil {
			return st, err
		}
		st.JobID = id
		st.JobIDs = append(st.JobIDs, id)
		job, err = c.waitQueryJob(ctx, id)
		var je *BulkJobError
		if errors.As(err, &je) && je.State == "Failed" && st.JobsRun < opts.JobAttempts {
			// The job's errorMessage goes nowhere else: it is logged
			// before the job may be deleted.
			c.log.Warn("bulk job failed; running it again", "job", id, "attempt", st.JobsRun, "error_message", je.ErrorMessage)
			continue
		}
		if err != nil {
			return st, err
		}
		break
	}
	err = c.streamResults(ctx, job, opts.PageSize, delim, &st, fn, w)
	st.Elapsed = time.Since(start)
	if err != nil {
		return st, err
	}
	if job.NumberRecordsProcessed > 0 && st.Rows != job.NumberRecordsProcessed {
		return st, fmt.Errorf("bulk job %s: read %d rows, job reports %d", job.ID, st.Rows, job.NumberRecordsProcessed)
	}
	if opts.DeleteJob {
		if err := c.DeleteQueryJob(ctx, job.ID); err != nil {
			c.log.Warn("bulk job delete failed", "job", job.ID, "err", err.Error())
		}
	}
	return st, nil
}

// DeleteQueryJob deletes a query job and its stored results (DELETE
// /jobs/query/{id}); Salesforce otherwise keeps them 7 days after the job
// ends. Salesforce deletes a job JobComplete, Failed or Aborted and
// refuses one UploadComplete or InProgress (an *APIError, 400 API_ERROR
// "...the job is not terminated"). An unknown or already deleted id is
// ErrNotFound. Delete a job only once its rows are stored and its error,
// if any, recorded: after that its results and errorMessage are gone.
func (c *Client) DeleteQueryJob(ctx context.Context, jobID string) error {
	return c.deleteJob(ctx, "query", jobID)
}

// deleteJob deletes the Bulk API 2.0 job jobID of kind "query" or
// "ingest" (DELETE /jobs/{kind}/{id}).
func (c *Client) deleteJob(ctx context.Context, kind, jobID string) error {
	if !sfid.Valid(jobID) {
		return fmt.Errorf("bulk %s: invalid job id %q", kind, jobID)
	}
	if err := c.doJSON(ctx, &request{method: http.MethodDelete, path: "/jobs/" + kind + "/" + jobID, idempotent: true}, nil, nil); err != nil {
		return fmt.Errorf("delete bulk %s job %s: %w", kind, jobID, err)
	}
	return nil
}

func (c *Client) createQueryJob(ctx context.Context, op, soql, delim, le string) (string, error) {
	body := map[string]string{"operation": op, "query": soql, "contentType": "CSV", "lineEnding": le}
	if delim != "" {
		body["columnDelimiter"] = strings.ToUpper(delim)
	} else {
		body["columnDelimiter"] = "COMMA"
	}
	var job BulkJob
	// A duplicate job only costs a job slot, so creation may be resent.
	if err := c.doJSON(ctx, &request{method: http.MethodPost, path: "/jobs/query", idempotent: true}, body, &job); err != nil {
		return "", fmt.Errorf("create bulk query job: %w", err)
	}
	if job.ID == "" {
		return "", errors.New("create bulk query job: no job id in the answer")
	}
	return job.ID, nil
}

// waitQueryJob polls with backoff until the job is JobComplete, Failed or
// Aborted. A cancelled ctx aborts the job.
func (c *Client) waitQueryJob(ctx context.Context, id string) (*BulkJob, error) {
	delay := c.cfg.PollInterval
	for {
		var job BulkJob
		err := c.doJSON(ctx, &request{method: http.MethodGet, path: "/jobs/query/" + id, idempotent: true}, nil, &job)
		if err != nil {
			if ctx.Err() != nil {
				c.abortJob(ctx, id)
			}
			return nil, fmt.Errorf("poll bulk job %s: %w", id, err)
		}
		switch job.State {
		case "JobComplete":
			return &job, nil
		case "Failed", "Aborted":
			return nil, &BulkJobError{JobID: id, State: job.State, ErrorMessage: job.ErrorMessage}
		}
		if err := sleep(ctx, delay); err != nil {
			c.abortJob(ctx, id)
			return nil, fmt.Errorf("poll bulk job %s: %w", id, err)
		}
		delay = min(delay*3/2, c.cfg.MaxPollInterval)
	}
}

// abortJob asks Salesforce to abort a job after ctx was cancelled, on a short
// context of its own.
func (c *Client) abortJob(ctx context.Context, id string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	r := &request{method: http.MethodPatch, path: "/jobs/query/" + id, idempotent: true, noRetry: true}
	if err := c.doJSON(actx, r, map[string]string{"state": "Aborted"}, nil); err != nil {
		c.log.Warn("bulk job abort failed", "job", id, "err", err.Error())
		return
	}
	c.log.Info("bulk job aborted", "job", id)
}

// resultPage is one downloaded results page.
type resultPage struct {
	buf  *bytes.Buffer
	n    int    // Sforce-NumberOfRecords, -1 when absent
	next string // next locator, "" after the last page
	err  error
}

// streamResults runs the page fetcher one page ahead of the parser.
func (c *Client) streamResults(ctx context.Context, job *BulkJob, pageSize int, delim byte, st *QueryStats, fn func(header, row []string) error, w io.Writer) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan resultPage, 1)
	free := make(chan *bytes.Buffer, 3)
	retries := make(chan int, 1)
	go func() {
		defer close(pages)
		nretry := 0
		defer func() { retries <- nretry }()
		loc := ""
		for {
			var buf *bytes.Buffer
			select {
			case buf = <-free:
			default:
				buf = new(bytes.Buffer)
			}
			p := c.fetchPage(fctx, job.ID, loc, pageSize, buf, &nretry)
			select {
			case pages <- p:
			case <-fctx.Done():
				return
			}
			if p.err != nil || p.next == "" {
				return
			}
			loc = p.next
		}
	}()
	defer func() {
		cancel()
		for range pages { // let the fetcher finish
		}
		st.PageRetries = <-retries
	}()

	var header []string
	parser := NewRowParser("", delim)
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		st.Pages++
		st.Bytes += int64(p.buf.Len())
		data := p.buf.String() // one copy; the buffer goes back for the next download
		p.buf.Reset()
		select {
		case free <- p.buf:
		default:
		}
		parser.Reset(data)
		h, err := parser.Next()
		if err == io.EOF {
			if p.n > 0 {
				return fmt.Errorf("bulk job %s page %d: empty page, header says %d rows", job.ID, st.Pages, p.n)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("bulk job %s page %d: %w", job.ID, st.Pages, err)
		}
		if header == nil {
			header = slices.Clone(h)
			if w != nil {
				if _, err := io.WriteString(w, data[:parser.pos]); err != nil {
					return fmt.Errorf("write csv: %w", err)
				}
			}
		} else if !slices.Equal(header, h) {
			return fmt.Errorf("bulk job %s page %d: header differs from the first page's", job.ID, st.Pages)
		}
		bodyStart := parser.pos
		n := 0
		for {
			row, err := parser.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("bulk job %s page %d: %w", job.ID, st.Pages, err)
			}
			if len(row) != len(header) {
				return fmt.Errorf("bulk job %s page %d line %d: %d fields, header has %d", job.ID, st.Pages, parser.Line()-1, len(row), len(header))
			}
			n++
			if fn != nil {
				if err := fn(header, row); err != nil {
					st.Rows += int64(n)
					return err
				}
			}
		}
		st.Rows += int64(n)
		if p.n >= 0 && n != p.n {
			return fmt.Errorf("bulk job %s page %d: parsed %d rows, Sforce-NumberOfRecords says %d", job.ID, st.Pages, n, p.n)
		}
		if w != nil {
			if _, err := io.WriteString(w, data[bodyStart:]); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

var errTruncatedPage = errors.New("results page ends inside a record")

// fetchPage downloads one page into buf, fetching it again by the same
// locator when the transfer breaks.
func (c *Client) fetchPage(ctx context.Context, jobID, loc string, pageSize int, buf *bytes.Buffer, nretry *int) resultPage {
	q := url.Values{"maxRecords": {strconv.Itoa(pageSize)}}
	if loc != "" {
		q.Set("locator", loc)
	}
	r := &request{method: http.MethodGet, path: "/jobs/query/" + jobID + "/results", query: q, accept: "text/csv", idempotent: true}
	for attempt := 1; ; attempt++ {
		buf.Reset()
		resp, err := c.do(ctx, r)
		if err != nil {
			return resultPage{err: fmt.Errorf("bulk job %s results: %w", jobID, err)}
		}
		p := resultPage{buf: buf, n: -1}
		if v := resp.Header.Get("Sforce-NumberOfRecords"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				p.n = n
			}
		}
		switch next := resp.Header.Get("Sforce-Locator"); next {
		case "null", "":
		default:
			p.next = next
		}
		if cl := resp.ContentLength; cl > 0 && cl <= 64<<20 { // a hint only: never trust a huge length
			buf.Grow(int(cl))
		}
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err == nil && !completeCSV(buf.Bytes()) {
			err = errTruncatedPage
		}
		if err == nil {
			return p
		}
		if ctx.Err() != nil {
			return resultPage{err: ctx.Err()}
		}
		if (!transientNetErr(err) && err != errTruncatedPage) || attempt >= c.retry.MaxAttempts {
			return resultPage{err: &RequestError{Method: r.method, Path: r.route(), Sent: Answered, Err: fmt.Errorf("bulk job %s page: %w", jobID, err)}}
		}
		*nretry++
		c.retries.Add(1)
		c.log.Warn("bulk results page broke off; fetching it again", "job", jobID, "attempt", attempt, "err", err.Error())
		if err := sleep(ctx, c.retry.Backoff(attempt, 0)); err != nil {
			return resultPage{err: err}
		}
	}
}
