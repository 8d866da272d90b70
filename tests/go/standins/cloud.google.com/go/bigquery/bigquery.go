// Package bigquery is a stand-in for cloud.google.com/go/bigquery, backed by
// in-memory tables shared by every client in the process.
//
// Stand-in behaviour: every live Client holds one goroutine; it keeps the
// context it was created with, and once that context is done its calls fail
// with "bigquery: client creation context canceled". Inserting into a table
// creates it. A query is not evaluated: it returns the rows of the table
// named after its FROM (`dataset.table` or `project.dataset.table`), cut to
// its LIMIT, or one row of literal values for `SELECT <literals>`.
package bigquery

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"standins.test/shared/docmap"
	"standins.test/shared/life"
)

var errClosed = errors.New("bigquery: client is closed")

var clients life.Counter

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// Value is a value in a row.
type Value interface{}

type table struct {
	cols []string
	rows []map[string]Value
}

var store = struct {
	sync.Mutex
	tables map[string]*table // by "dataset.table"
}{tables: map[string]*table{}}

// Client is a BigQuery client. It is safe for concurrent use and meant to be
// built once and reused.
type Client struct {
	Location string

	h       *life.Handle
	project string
}

// NewClient creates a new BigQuery client for the project.
func NewClient(ctx context.Context, projectID string, opts ...option.ClientOption) (*Client, error) {
	if err := life.Dial(ctx, "bigquery"); err != nil {
		return nil, err
	}
	return &Client{h: life.Start(&clients, "bigquery", ctx), project: projectID}, nil
}

// Close closes the client. Closing twice is harmless.
func (c *Client) Close() error {
	c.h.Release()
	return nil
}

// Project returns the project ID of the client.
func (c *Client) Project() string { return c.project }

// Dataset is a reference to a dataset.
type Dataset struct {
	ProjectID string
	DatasetID string
	c         *Client
}

// Dataset returns a reference to the dataset.
func (c *Client) Dataset(id string) *Dataset {
	return &Dataset{ProjectID: c.project, DatasetID: id, c: c}
}

// Table is a reference to a table.
type Table struct {
	ProjectID string
	DatasetID string
	TableID   string
	c         *Client
}

// Table returns a reference to the table.
func (d *Dataset) Table(tableID string) *Table {
	return &Table{ProjectID: d.ProjectID, DatasetID: d.DatasetID, TableID: tableID, c: d.c}
}

// FullyQualifiedName returns "project:dataset.table".
func (t *Table) FullyQualifiedName() string {
	return t.ProjectID + ":" + t.DatasetID + "." + t.TableID
}

// Inserter streams rows into a table.
type Inserter struct {
	t *Table
}

// Inserter returns an Inserter for the table.
func (t *Table) Inserter() *Inserter { return &Inserter{t: t} }

// ValueSaver returns a row as a map, the way Put stores it.
type ValueSaver interface {
	Save() (row map[string]Value, insertID string, err error)
}

// Put inserts src: a struct, a pointer to one, a ValueSaver, a
// map[string]Value, or a slice of these.
func (u *Inserter) Put(ctx context.Context, src interface{}) error {
	if err := u.t.c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	var rows []map[string]Value
	add := func(v interface{}) error {
		if vs, ok := v.(ValueSaver); ok {
			row, _, err := vs.Save()
			rows = append(rows, row)
			return err
		}
		m, err := docmap.ToMap(v, "bigquery")
		if err != nil {
			return fmt.Errorf("bigquery: %w", err)
		}
		row := make(map[string]Value, len(m))
		for k, v := range m {
			row[k] = v
		}
		rows = append(rows, row)
		return nil
	}
	if rv := reflect.ValueOf(src); rv.Kind() == reflect.Slice {
		for i := 0; i < rv.Len(); i++ {
			if err := add(rv.Index(i).Interface()); err != nil {
				return err
			}
		}
	} else if err := add(src); err != nil {
		return err
	}
	store.Lock()
	defer store.Unlock()
	key := u.t.DatasetID + "." + u.t.TableID
	t := store.tables[key]
	if t == nil {
		t = &table{}
		store.tables[key] = t
	}
	for _, row := range rows {
		for _, k := range orderedKeys(src, row) {
			if !contains(t.cols, k) {
				t.cols = append(t.cols, k)
			}
		}
		t.rows = append(t.rows, row)
	}
	return nil
}

// orderedKeys lists a row's columns, in struct field order when src holds
// structs.
func orderedKeys(src interface{}, row map[string]Value) []string {
	var keys []string
	t := reflect.TypeOf(src)
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			name := strings.Split(t.Field(i).Tag.Get("bigquery"), ",")[0]
			if name == "" {
				name = t.Field(i).Name
			}
			if _, ok := row[name]; ok {
				keys = append(keys, name)
			}
		}
	}
	for k := range row {
		if !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// QueryParameter is a named query parameter (ignored by the stand-in).
type QueryParameter struct {
	Name  string
	Value interface{}
}

// QueryConfig holds a query's configuration.
type QueryConfig struct {
	Q          string
	Parameters []QueryParameter
}

// Query is a query to run.
type Query struct {
	QueryConfig
	c *Client
}

// Query returns a query for the SQL text q.
func (c *Client) Query(q string) *Query { return &Query{QueryConfig: QueryConfig{Q: q}, c: c} }

var (
	fromRE    = regexp.MustCompile("(?i)\\bFROM\\s+`?(?:[\\w-]+\\.)?([\\w-]+\\.[\\w-]+)`?")
	limitRE   = regexp.MustCompile(`(?i)\bLIMIT\s+(\d+)`)
	literalRE = regexp.MustCompile(`^\s*(?i:SELECT)\s+(.*?)\s*;?\s*$`)
)

// Read runs the query and returns an iterator over its rows.
func (q *Query) Read(ctx context.Context) (*RowIterator, error) {
	if err := q.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	it := &RowIterator{c: q.c, ctx: ctx}
	m := fromRE.FindStringSubmatch(q.Q)
	if m == nil {
		lit := literalRE.FindStringSubmatch(q.Q)
		if lit == nil {
			return nil, fmt.Errorf("bigquery: stand-in cannot run query %q", q.Q)
		}
		row := map[string]Value{}
		for i, s := range strings.Split(lit[1], ",") {
			col := "f" + strconv.Itoa(i) + "_"
			it.cols = append(it.cols, col)
			row[col] = literal(strings.TrimSpace(s))
		}
		it.rows = []map[string]Value{row}
		it.TotalRows = 1
		return it, nil
	}
	store.Lock()
	defer store.Unlock()
	t, ok := store.tables[m[1]]
	if !ok {
		return nil, fmt.Errorf("googleapi: Error 404: Not found: Table %s:%s, notFound", q.c.project, m[1])
	}
	it.cols = append([]string(nil), t.cols...)
	it.rows = append([]map[string]Value(nil), t.rows...)
	if l := limitRE.FindStringSubmatch(q.Q); l != nil {
		if n, _ := strconv.Atoi(l[1]); n < len(it.rows) {
			it.rows = it.rows[:n]
		}
	}
	it.TotalRows = uint64(len(it.rows))
	return it, nil
}

func literal(s string) Value {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return strings.Trim(s, `'"`)
}

// Run starts the query as a job.
func (q *Query) Run(ctx context.Context) (*Job, error) {
	it, err := q.Read(ctx)
	if err != nil {
		return nil, err
	}
	return &Job{it: it}, nil
}

// Job is a query job; the stand-in's jobs are done when Run returns.
type Job struct {
	it *RowIterator
}

// State is a job's state.
type State int

// The job states.
const (
	StateUnspecified State = iota
	Pending
	Running
	Done
)

// JobStatus is a job's status.
type JobStatus struct {
	State State
}

// Err returns the job's error, if any.
func (s *JobStatus) Err() error { return nil }

// Done reports whether the job is done.
func (s *JobStatus) Done() bool { return s.State == Done }

// Wait waits for the job to complete.
func (j *Job) Wait(ctx context.Context) (*JobStatus, error) {
	if err := j.it.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	return &JobStatus{State: Done}, nil
}

// Read returns an iterator over the job's rows.
func (j *Job) Read(ctx context.Context) (*RowIterator, error) {
	if err := j.it.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	it := *j.it
	it.ctx = ctx
	return &it, nil
}

// RowIterator is an iterator over the rows of a query.
type RowIterator struct {
	TotalRows uint64

	c    *Client
	ctx  context.Context
	cols []string
	rows []map[string]Value
}

// Next loads the next row into dst: a *[]Value, a *map[string]Value, a
// pointer to a struct, or a ValueLoader. It returns iterator.Done at the end.
func (it *RowIterator) Next(dst interface{}) error {
	if err := it.c.h.Check(it.ctx, errClosed); err != nil {
		return err
	}
	if len(it.rows) == 0 {
		return iterator.Done
	}
	row := it.rows[0]
	it.rows = it.rows[1:]
	switch d := dst.(type) {
	case *[]Value:
		*d = (*d)[:0]
		for _, c := range it.cols {
			*d = append(*d, row[c])
		}
		return nil
	case *map[string]Value:
		*d = make(map[string]Value, len(row))
		for k, v := range row {
			(*d)[k] = v
		}
		return nil
	case ValueLoader:
		var vals []Value
		for _, c := range it.cols {
			vals = append(vals, row[c])
		}
		return d.Load(vals, nil)
	}
	m := make(map[string]interface{}, len(row))
	for k, v := range row {
		m[k] = v
	}
	return docmap.FromMap(m, dst, "bigquery")
}

// Schema describes a table's columns (unused by the stand-in).
type Schema []*FieldSchema

// FieldSchema describes one column.
type FieldSchema struct {
	Name string
	Type FieldType
}

// FieldType is the type of a column.
type FieldType string

// ValueLoader loads a row.
type ValueLoader interface {
	Load(v []Value, s Schema) error
}
