package batch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/sfbulk"
	"golang.org/x/sync/errgroup"
)

// ErrMissingField is wrapped by the error Extract returns when the org lacks
// a field (or an object) the snapshot needs, e.g. writeback custom fields
// that were never deployed. Nothing has been queried or written then.
var ErrMissingField = errors.New("field missing in the org")

// MissingFieldError names one object field the org does not have, or the
// integration user cannot see (field-level security hides a field from
// describe as well). Field is empty when the object itself is missing or not
// queryable.
type MissingFieldError struct {
	Object, Field string
	Reason        string // "not in describe", "object not queryable", ...
}

func (e *MissingFieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Object, e.Reason)
	}
	return fmt.Sprintf("%s.%s: %s (deploy the field or grant the integration user read access)", e.Object, e.Field, e.Reason)
}

func (e *MissingFieldError) Unwrap() error { return ErrMissingField }

// BulkQuerier is what Extract needs of a Salesforce client; *sfbulk.Client
// has it, and tests can use a fake.
type BulkQuerier interface {
	Describe(ctx context.Context, object string) (*sfbulk.SObjectDescribe, error)
	BulkQueryCSV(ctx context.Context, soql string, opts sfbulk.BulkQueryOptions, w io.Writer) (sfbulk.QueryStats, error)
	DeleteQueryJob(ctx context.Context, jobID string) error
}

// Default writeback fields on Lead and Contact: the snapshot contract's
// (package internal/snapshot), kept here for batch's configuration.
const (
	DefaultLeadIDField     = snapshot.DefaultLeadIDField
	DefaultProfileURLField = snapshot.DefaultProfileURLField
)

// soql builds an object's snapshot query with sfbulk's builder.
func soql(o snapshot.Object) (string, error) {
	q := sfbulk.Select(o.Fields...).From(o.Name)
	if len(o.Where) > 0 {
		conds := make([]sfbulk.Cond, len(o.Where))
		for i, f := range o.Where {
			conds[i] = sfbulk.Eq(f.Field, f.Value)
		}
		q = q.Where(conds...)
	}
	return q.Build()
}

// ExtractOptions configure Extract. Dir is required.
type ExtractOptions struct {
	// Dir is the run's work folder; the files go to Dir/crm/<Object>.csv.
	Dir string
	// WritebackFields are queried on Lead and Contact besides the snapshot
	// fields (nil: snapshot.DefaultWritebackFields).
	WritebackFields []string
	// Concurrency is how many objects export at once (default 2).
	Concurrency int
	// PageSize and JobAttempts go to sfbulk.BulkQueryOptions (0: its defaults).
	PageSize, JobAttempts int
	// KeepQueryJobs leaves the Bulk query jobs in Salesforce, which
	// deletes them 7 days after they end. By default an object's jobs are
	// deleted once its rows are in its file, or, when its export failed,
	// once the error is logged.
	KeepQueryJobs bool
	Logger        *slog.Logger // nil: discard
}

// ObjectStats is one object's export.
type ObjectStats struct {
	Object string
	Path   string // the final file
	Rows   int64
	Bytes  int64
	Pages  int
	// Jobs counts Bulk 2.0 query jobs run (more than 1 after a Failed job),
	// JobIDs names them; PageRetries counts result pages fetched again.
	Jobs, PageRetries int
	JobIDs            []string
	Took              time.Duration
}

// ExtractResult is what Extract pulled, in snapshot.Objects order.
type ExtractResult struct {
	Dir         string // Dir/crm
	Objects     []ObjectStats
	Concurrency int // objects exported at once
	Took        time.Duration
}

// Rows is the total of rows exported.
func (r *ExtractResult) Rows() int64 {
	var n int64
	for _, o := range r.Objects {
		n += o.Rows
	}
	return n
}

// Jobs is the total of Bulk jobs run.
func (r *ExtractResult) Jobs() int {
	n := 0
	for _, o := range r.Objects {
		n += o.Jobs
	}
	return n
}

// Extract is the job's first stage: it pulls the org snapshot (Contact, Lead,
// Account, open Opportunities, User) through Bulk 2.0 query jobs into
// Dir/crm/<Object>.csv in the Bulk 2.0 result format, which is what
// input.ReadSnapshot and `navsync match --crm` read.
//
// It first describes every object and refuses, before any query, when a
// field is missing (a *MissingFieldError per field, joined; errors.Is
// ErrMissingField). Objects then export Concurrency at a time, each into a
// temporary file in Dir/crm (fsynced); only when every export has completed
// are the files renamed to their final names, together, so a failed or
// cancelled run leaves no partial file under a final name and the previous
// snapshot, if any, whole (never some objects of one run and some of
// another). A Failed Bulk job is run again (JobAttempts), a broken page is
// fetched again, and a cancelled context aborts the running jobs.
//
// Each object's query jobs are deleted (unless KeepQueryJobs) once its
// file holds every row, fsynced; when its export failed, once the error is
// logged (with it the jobs' results and errorMessage go). When ctx is done
// (SIGINT, SIGTERM) nothing more is deleted: Salesforce deletes the jobs 7
// days after they end.
func Extract(ctx context.Context, sf BulkQuerier, opts ExtractOptions) (*ExtractResult, error) {
	start := time.Now()
	if opts.Dir == "" {
		return nil, errors.New("extract: no work folder")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 2
	}
	objs := snapshot.Objects(opts.WritebackFields)
	queries := make([]string, len(objs))
	for i, o := range objs {
		q, err := soql(o)
		if err != nil {
			return nil, fmt.Errorf("extract: %s: %w", o.Name, err)
		}
		queries[i] = q
	}
	if err := checkFields(ctx, sf, objs); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}

	dir := filepath.Join(opts.Dir, "crm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	res := &ExtractResult{Dir: dir, Objects: make([]ObjectStats, len(objs)), Concurrency: conc}
	temps := make([]string, len(objs))
	var tmu sync.Mutex
	defer func() {
		// Whatever was not renamed into place goes.
		tmu.Lock()
		defer tmu.Unlock()
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	deleteJobs := func(ids []string) {
		if !opts.KeepQueryJobs {
			// ctx, not gctx: another object's failure does not keep this
			// one's jobs; a stopped run does.
			deleteBulkJobs(ctx, "query", sf.DeleteQueryJob, ids, log)
		}
	}
	for i, o := range objs {
		g.Go(func() error {
			st, err := exportObject(gctx, sf, dir, o, queries[i], sfbulk.BulkQueryOptions{PageSize: opts.PageSize, JobAttempts: opts.JobAttempts},
				func(name string) { tmu.Lock(); temps[i] = name; tmu.Unlock() })
			if err != nil {
				// The query has returned: no page of its jobs is still
				// being fetched. Their error is logged before they go.
				if !errors.Is(err, context.Canceled) {
					log.Warn("object extract failed", "object", o.Name, "jobs", strings.Join(st.JobIDs, ","), "err", err.Error())
				}
				deleteJobs(st.JobIDs)
				return fmt.Errorf("extract %s: %w", o.Name, err)
			}
			deleteJobs(st.JobIDs)
			st.Path = filepath.Join(dir, o.File())
			res.Objects[i] = st
			log.Info("object extracted", "object", o.Name, "rows", st.Rows, "jobs", st.Jobs, "pages", st.Pages,
				"page_retries", st.PageRetries, "took", st.Took.Round(time.Millisecond).String())
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	tmu.Lock()
	defer tmu.Unlock()
	for i, o := range objs {
		if err := os.Rename(temps[i], res.Objects[i].Path); err != nil {
			return nil, fmt.Errorf("extract %s: %w", o.Name, err)
		}
		temps[i] = ""
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the renames survive a crash
		d.Close()
	}
	res.Took = time.Since(start)
	log.Info("org snapshot extracted", "dir", dir, "rows", res.Rows(), "bulk_jobs", res.Jobs(),
		"took", res.Took.Round(time.Millisecond).String())
	return res, nil
}

// exportObject runs one Bulk query into a temporary file in dir, fsynced and
// closed; onTemp learns the file's name as soon as it exists.
func exportObject(ctx context.Context, sf BulkQuerier, dir string, o snapshot.Object, soql string, qo sfbulk.BulkQueryOptions, onTemp func(string)) (ObjectStats, error) {
	t := time.Now()
	st := ObjectStats{Object: o.Name}
	f, err := os.CreateTemp(dir, "."+o.File()+".tmp-*")
	if err != nil {
		return st, err
	}
	onTemp(f.Name())
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw}
	qs, err := sf.BulkQueryCSV(ctx, soql, qo, cw)
	st.Rows, st.Bytes, st.Pages, st.Jobs, st.PageRetries, st.JobIDs = qs.Rows, qs.Bytes, qs.Pages, qs.JobsRun, qs.PageRetries, qs.JobIDs
	if err == nil && cw.n == 0 {
		// No row and no header (an empty results body): write the header,
		// so readers still find the columns.
		_, err = bw.WriteString(csvHeader(o.Fields))
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	st.Took = time.Since(t)
	return st, err
}

// checkFields describes every object and reports every field the snapshot
// needs that the org lacks. A relationship field such as Account.Name needs
// the relationship on the object and the field on the object it refers to.
func checkFields(ctx context.Context, sf BulkQuerier, objs []snapshot.Object) error {
	var errs []error
	for _, o := range objs {
		d, err := sf.Describe(ctx, o.Name)
		if err != nil {
			var ae *sfbulk.APIError
			if errors.As(err, &ae) && ae.HTTPStatus == 404 {
				errs = append(errs, &MissingFieldError{Object: o.Name, Reason: "object not found"})
				continue
			}
			return err
		}
		if !d.Queryable {
			errs = append(errs, &MissingFieldError{Object: o.Name, Reason: "object not queryable"})
			continue
		}
		for _, f := range o.Fields {
			rel, name, dotted := strings.Cut(f, ".")
			if !dotted {
				if d.Field(f) == nil {
					errs = append(errs, &MissingFieldError{Object: o.Name, Field: f, Reason: "not in describe"})
				}
				continue
			}
			ref := relationship(d, rel)
			if ref == nil {
				errs = append(errs, &MissingFieldError{Object: o.Name, Field: f, Reason: "no relationship " + rel})
				continue
			}
			if len(ref.ReferenceTo) != 1 {
				continue // polymorphic: cannot check the target field
			}
			td, err := sf.Describe(ctx, ref.ReferenceTo[0])
			if err != nil {
				return err
			}
			if td.Field(name) == nil {
				errs = append(errs, &MissingFieldError{Object: o.Name, Field: f, Reason: "not in describe of " + ref.ReferenceTo[0]})
			}
		}
	}
	return errors.Join(errs...)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// csvHeader is a Bulk 2.0 result header: every name double-quoted, LF.
func csvHeader(fields []string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + f + `"`)
	}
	b.WriteByte('\n')
	return b.String()
}

func relationship(d *sfbulk.SObjectDescribe, rel string) *sfbulk.FieldDescribe {
	for i := range d.Fields {
		if strings.EqualFold(d.Fields[i].RelationshipName, rel) {
			return &d.Fields[i]
		}
	}
	return nil
}
