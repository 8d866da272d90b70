// Package spanner is a stand-in for cloud.google.com/go/spanner, backed by
// in-memory databases shared by every client in the process.
//
// Stand-in behaviour: every live Client, unfinished RowIterator and open
// ReadOnlyTransaction (from Client.ReadOnlyTransaction) holds one goroutine.
// A Client keeps the context it was created with; once that context is done
// its calls fail with "spanner: client creation context canceled". A
// mutation on a missing table creates it, keyed by its first column. SQL is
// the small dialect described in internal/minisql, with @name parameters.
// Mutations and DML are applied in order, not atomically.
package spanner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"standins.test/shared/docmap"
	"standins.test/shared/life"
	"standins.test/shared/minisql"
)

var errClosed = errors.New(`spanner: code = "FailedPrecondition", desc = "client is closed"`)

var clients, iterators, transactions life.Counter

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// OpenIterators reports how many RowIterators are neither stopped nor done.
func OpenIterators() int64 { return iterators.Open() }

// OpenTransactions reports how many ReadOnlyTransactions are not closed.
func OpenTransactions() int64 { return transactions.Open() }

var (
	dbPattern = regexp.MustCompile(`^projects/(?P<project>[^/]+)/instances/(?P<instance>[^/]+)/databases/(?P<database>[^/]+)$`)
	store     = struct {
		sync.Mutex
		dbs map[string]*minisql.DB
	}{dbs: map[string]*minisql.DB{}}
	rwMu sync.Mutex // serializes read-write transactions
)

// Client is a Spanner client for one database. It is safe for concurrent
// use and meant to be built once and reused.
type Client struct {
	h    *life.Handle
	name string
	db   *minisql.DB
}

// NewClient creates a client for database
// ("projects/P/instances/I/databases/D").
func NewClient(ctx context.Context, database string, opts ...option.ClientOption) (*Client, error) {
	if err := life.Dial(ctx, "spanner"); err != nil {
		return nil, err
	}
	if !dbPattern.MatchString(database) {
		return nil, fmt.Errorf("database name %q should conform to pattern %q", database, dbPattern.String())
	}
	store.Lock()
	db := store.dbs[database]
	if db == nil {
		db = minisql.New()
		db.AutoCreate = true
		store.dbs[database] = db
	}
	store.Unlock()
	return &Client{h: life.Start(&clients, "spanner", ctx), name: database, db: db}, nil
}

// Close closes the client. Closing twice is harmless.
func (c *Client) Close() { c.h.Release() }

// DatabaseName returns the client's database.
func (c *Client) DatabaseName() string { return c.name }

// Statement is a SQL statement with @name parameters.
type Statement struct {
	SQL    string
	Params map[string]interface{}
}

// NewStatement returns a Statement with the given SQL and no parameters.
func NewStatement(sql string) Statement {
	return Statement{SQL: sql, Params: map[string]interface{}{}}
}

// KeySet is a set of keys.
type KeySet interface{ keySet() }

// Key is a primary key. The stand-in uses its first part only.
type Key []interface{}

func (Key) keySet() {}

type keyList []Key

func (keyList) keySet() {}

type allKeys struct{}

func (allKeys) keySet() {}

// AllKeys returns a KeySet of every key.
func AllKeys() KeySet { return allKeys{} }

// KeySetFromKeys returns a KeySet of the given keys.
func KeySetFromKeys(keys ...Key) KeySet { return keyList(keys) }

// Mutation is a change to one table.
type Mutation struct {
	op    minisql.Op
	del   bool
	table string
	cols  []string
	vals  []interface{}
	keys  KeySet
}

// Insert returns a mutation that inserts a row; it fails if the key exists.
func Insert(table string, cols []string, vals []interface{}) *Mutation {
	return &Mutation{op: minisql.Insert, table: table, cols: cols, vals: vals}
}

// InsertOrUpdate returns a mutation that inserts a row or updates it.
func InsertOrUpdate(table string, cols []string, vals []interface{}) *Mutation {
	return &Mutation{op: minisql.Upsert, table: table, cols: cols, vals: vals}
}

// Update returns a mutation that updates an existing row.
func Update(table string, cols []string, vals []interface{}) *Mutation {
	return &Mutation{op: minisql.Update, table: table, cols: cols, vals: vals}
}

// Replace returns a mutation that inserts or replaces a row.
func Replace(table string, cols []string, vals []interface{}) *Mutation {
	return InsertOrUpdate(table, cols, vals)
}

// Delete returns a mutation that deletes the rows with the given keys.
func Delete(table string, ks KeySet) *Mutation {
	return &Mutation{del: true, table: table, keys: ks}
}

func fromMap(op minisql.Op, table string, in map[string]interface{}) *Mutation {
	m := &Mutation{op: op, table: table}
	for k := range in {
		m.cols = append(m.cols, k)
	}
	sort.Strings(m.cols)
	for _, k := range m.cols {
		m.vals = append(m.vals, in[k])
	}
	return m
}

// InsertMap is Insert with the columns and values of a map.
func InsertMap(table string, in map[string]interface{}) *Mutation {
	return fromMap(minisql.Insert, table, in)
}

// InsertOrUpdateMap is InsertOrUpdate with the columns and values of a map.
func InsertOrUpdateMap(table string, in map[string]interface{}) *Mutation {
	return fromMap(minisql.Upsert, table, in)
}

// UpdateMap is Update with the columns and values of a map.
func UpdateMap(table string, in map[string]interface{}) *Mutation {
	return fromMap(minisql.Update, table, in)
}

// InsertStruct is Insert with the fields of a struct (`spanner:"name"` tags).
func InsertStruct(table string, in interface{}) (*Mutation, error) {
	m, err := docmap.ToMap(in, "spanner")
	if err != nil {
		return nil, err
	}
	return fromMap(minisql.Insert, table, m), nil
}

// InsertOrUpdateStruct is InsertOrUpdate with the fields of a struct.
func InsertOrUpdateStruct(table string, in interface{}) (*Mutation, error) {
	m, err := docmap.ToMap(in, "spanner")
	if err != nil {
		return nil, err
	}
	return fromMap(minisql.Upsert, table, m), nil
}

// ApplyOption is an option for Apply.
type ApplyOption func(*applyOptions)

type applyOptions struct{}

// Apply applies the mutations.
func (c *Client) Apply(ctx context.Context, ms []*Mutation, opts ...ApplyOption) (commitTimestamp time.Time, err error) {
	if err := c.h.Check(ctx, errClosed); err != nil {
		return time.Time{}, err
	}
	return time.Now(), c.apply(ms)
}

func (c *Client) apply(ms []*Mutation) error {
	for _, m := range ms {
		if !m.del {
			if err := c.db.Write(m.op, m.table, m.cols, append([]interface{}(nil), m.vals...)); err != nil {
				if err == minisql.ErrNotFound {
					return fmt.Errorf(`spanner: code = "NotFound", desc = "row not found in table %s"`, m.table)
				}
				return fmt.Errorf(`spanner: code = "AlreadyExists", desc = %q`, err.Error())
			}
			continue
		}
		var err error
		switch ks := m.keys.(type) {
		case allKeys:
			err = c.db.DeleteAll(m.table)
		case Key:
			_, err = c.db.Delete(m.table, firstKey(ks))
		case keyList:
			for _, k := range ks {
				if _, err = c.db.Delete(m.table, firstKey(k)); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func firstKey(k Key) interface{} {
	if len(k) == 0 {
		return nil
	}
	return k[0]
}

// txReadOnly holds the read methods shared by the transaction types.
type txReadOnly struct {
	c *Client
	h *life.Handle // nil unless the transaction must be closed
}

func (t *txReadOnly) check(ctx context.Context) error {
	if t.h != nil && t.h.Released() {
		return errors.New(`spanner: code = "FailedPrecondition", desc = "transaction is closed"`)
	}
	return t.c.h.Check(ctx, errClosed)
}

// Query runs a SQL query. Call Stop on the iterator unless it is read to
// the end.
func (t *txReadOnly) Query(ctx context.Context, statement Statement) *RowIterator {
	it := &RowIterator{c: t.c, ctx: ctx, h: life.Start(&iterators, "spanner", nil)}
	if it.err = t.check(ctx); it.err == nil {
		var res *minisql.Result
		if res, it.err = t.c.db.Run(statement.SQL, nil, statement.Params); it.err == nil {
			it.cols, it.rows = res.Columns, res.Rows
		}
	}
	return it
}

// ReadRow reads the given columns of the row with the given key.
func (t *txReadOnly) ReadRow(ctx context.Context, table string, key Key, columns []string) (*Row, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	vals, err := t.c.db.Lookup(table, firstKey(key), columns)
	if err == minisql.ErrNotFound {
		return nil, fmt.Errorf(`spanner: code = "NotFound", desc = "row not found(Table: %v, PrimaryKey: %v)"`, table, key)
	}
	if err != nil {
		return nil, err
	}
	return &Row{cols: columns, vals: vals}, nil
}

// Read reads the given columns of the rows with the given keys.
func (t *txReadOnly) Read(ctx context.Context, table string, keys KeySet, columns []string) *RowIterator {
	if _, all := keys.(allKeys); all {
		return t.Query(ctx, NewStatement("SELECT "+strings.Join(columns, ", ")+" FROM "+table))
	}
	it := &RowIterator{c: t.c, ctx: ctx, h: life.Start(&iterators, "spanner", nil), cols: columns}
	list, _ := keys.(keyList)
	if k, ok := keys.(Key); ok {
		list = keyList{k}
	}
	for _, k := range list {
		row, err := t.ReadRow(ctx, table, k, columns)
		if err == nil {
			it.rows = append(it.rows, row.vals)
		}
	}
	return it
}

// ReadOnlyTransaction reads from a consistent snapshot.
type ReadOnlyTransaction struct {
	txReadOnly
}

// Single returns a read-only transaction for a single read or query. It
// need not be closed.
func (c *Client) Single() *ReadOnlyTransaction {
	return &ReadOnlyTransaction{txReadOnly{c: c}}
}

// ReadOnlyTransaction returns a read-only transaction for several reads. It
// must be closed.
func (c *Client) ReadOnlyTransaction() *ReadOnlyTransaction {
	return &ReadOnlyTransaction{txReadOnly{c: c, h: life.Start(&transactions, "spanner", nil)}}
}

// Close closes the transaction. Closing twice is harmless.
func (t *ReadOnlyTransaction) Close() {
	if t.h != nil {
		t.h.Release()
	}
}

// ReadWriteTransaction is a read-write transaction.
type ReadWriteTransaction struct {
	txReadOnly
	buffered []*Mutation
}

// ReadWriteTransaction runs f in a read-write transaction and applies its
// buffered mutations when f returns nil. Transactions are serialized.
func (c *Client) ReadWriteTransaction(ctx context.Context, f func(context.Context, *ReadWriteTransaction) error) (commitTimestamp time.Time, err error) {
	if err := c.h.Check(ctx, errClosed); err != nil {
		return time.Time{}, err
	}
	rwMu.Lock()
	defer rwMu.Unlock()
	t := &ReadWriteTransaction{txReadOnly: txReadOnly{c: c}}
	if err := f(ctx, t); err != nil {
		return time.Time{}, err
	}
	if err := c.h.Check(ctx, errClosed); err != nil {
		return time.Time{}, err
	}
	return time.Now(), c.apply(t.buffered)
}

// BufferWrite adds mutations to apply when the transaction commits.
func (t *ReadWriteTransaction) BufferWrite(ms []*Mutation) error {
	t.buffered = append(t.buffered, ms...)
	return nil
}

// Update runs a DML statement and returns the number of rows it changed.
func (t *ReadWriteTransaction) Update(ctx context.Context, stmt Statement) (rowCount int64, err error) {
	if err := t.check(ctx); err != nil {
		return 0, err
	}
	res, err := t.c.db.Run(stmt.SQL, nil, stmt.Params)
	if err != nil {
		return 0, err
	}
	return res.Affected, nil
}

// RowIterator is an iterator over rows. Call Stop unless Next returned an
// error (or iterator.Done) or Do was used.
type RowIterator struct {
	c    *Client
	ctx  context.Context
	h    *life.Handle
	cols []string
	rows [][]interface{}
	err  error
}

// Next returns the next row, or iterator.Done at the end.
func (r *RowIterator) Next() (*Row, error) {
	if r.err == nil && r.h.Released() {
		r.err = errors.New(`spanner: code = "FailedPrecondition", desc = "Next called after Stop"`)
	}
	if r.err == nil {
		r.err = r.c.h.Check(r.ctx, errClosed)
	}
	if r.err == nil && len(r.rows) == 0 {
		r.err = iterator.Done
	}
	if r.err != nil {
		r.h.Release()
		return nil, r.err
	}
	row := &Row{cols: r.cols, vals: r.rows[0]}
	r.rows = r.rows[1:]
	return row, nil
}

// Do calls f for each row until f returns an error or the rows end, and
// stops the iterator.
func (r *RowIterator) Do(f func(r *Row) error) error {
	defer r.Stop()
	for {
		row, err := r.Next()
		if err == iterator.Done {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(row); err != nil {
			return err
		}
	}
}

// Stop ends the iteration. Stopping twice is harmless.
func (r *RowIterator) Stop() { r.h.Release() }

// Row is one row of a result.
type Row struct {
	cols []string
	vals []interface{}
}

// Size returns the number of columns.
func (r *Row) Size() int { return len(r.cols) }

// ColumnName returns the name of column i.
func (r *Row) ColumnName(i int) string { return r.cols[i] }

// ColumnNames returns the column names.
func (r *Row) ColumnNames() []string { return append([]string(nil), r.cols...) }

// Column stores column i into ptr.
func (r *Row) Column(i int, ptr interface{}) error {
	if i < 0 || i >= len(r.vals) {
		return fmt.Errorf("spanner: column index %d out of range", i)
	}
	return minisql.Assign(ptr, r.vals[i])
}

// ColumnByName stores the named column into ptr.
func (r *Row) ColumnByName(name string, ptr interface{}) error {
	for i, c := range r.cols {
		if strings.EqualFold(c, name) {
			return r.Column(i, ptr)
		}
	}
	return fmt.Errorf("spanner: column %q not found", name)
}

// Columns stores every column into ptrs, in order.
func (r *Row) Columns(ptrs ...interface{}) error {
	if len(ptrs) != len(r.vals) {
		return fmt.Errorf("spanner: %d pointers for %d columns", len(ptrs), len(r.vals))
	}
	for i, p := range ptrs {
		if p == nil {
			continue
		}
		if err := r.Column(i, p); err != nil {
			return err
		}
	}
	return nil
}

// ToStruct stores the row into p, a pointer to a struct whose fields are
// named by `spanner:"name"` tags or field names.
func (r *Row) ToStruct(p interface{}) error {
	m := make(map[string]interface{}, len(r.cols))
	for i, c := range r.cols {
		m[c] = r.vals[i]
	}
	return docmap.FromMap(m, p, "spanner")
}
