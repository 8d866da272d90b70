// Package fakesql is a database/sql driver registered as "fakesql", backed
// by an in-memory database per data source name shared by every sql.DB in
// the process. SQL is the small dialect described in internal/minisql,
// with ?, $N and @name (sql.Named) placeholders.
//
//	import _ "example.com/fakesql"
//	db, err := sql.Open("fakesql", "app")
//
// Every open sql.DB (its connector), driver connection, statement and rows
// holds one goroutine until database/sql closes it, on top of the
// goroutine database/sql itself runs per sql.DB.
package fakesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"

	"standins.test/shared/life"
	"standins.test/shared/minisql"
)

var dbs, conns, stmts, rowsCount life.Counter

// OpenClients reports how many sql.DBs opened with this driver are not
// closed.
func OpenClients() int64 { return dbs.Open() }

// Constructed reports how many sql.DBs have been opened with this driver.
func Constructed() int64 { return dbs.Made() }

// OpenConns reports how many driver connections are open.
func OpenConns() int64 { return conns.Open() }

// OpenStmts reports how many prepared statements are open.
func OpenStmts() int64 { return stmts.Open() }

// OpenRows reports how many result sets are open.
func OpenRows() int64 { return rowsCount.Open() }

func init() { sql.Register("fakesql", Driver{}) }

var databases = struct {
	sync.Mutex
	m map[string]*minisql.DB
}{m: map[string]*minisql.DB{}}

func database(dsn string) *minisql.DB {
	databases.Lock()
	defer databases.Unlock()
	db := databases.m[dsn]
	if db == nil {
		db = minisql.New()
		databases.m[dsn] = db
	}
	return db
}

// Driver is the fakesql driver.
type Driver struct{}

// Open opens a connection without a connector (sql.Open uses OpenConnector).
func (Driver) Open(dsn string) (driver.Conn, error) {
	return newConn(database(dsn)), nil
}

// OpenConnector is called once per sql.Open.
func (Driver) OpenConnector(dsn string) (driver.Connector, error) {
	return &connector{db: database(dsn), h: life.Start(&dbs, "fakesql", nil)}, nil
}

type connector struct {
	db *minisql.DB
	h  *life.Handle
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.h.Released() {
		return nil, errors.New("fakesql: connector closed")
	}
	return newConn(c.db), nil
}

func (c *connector) Driver() driver.Driver { return Driver{} }

// Close is called by sql.DB.Close.
func (c *connector) Close() error {
	c.h.Release()
	return nil
}

type conn struct {
	db *minisql.DB
	h  *life.Handle
}

func newConn(db *minisql.DB) *conn { return &conn{db: db, h: life.Start(&conns, "fakesql", nil)} }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return &stmt{c: c, query: query, h: life.Start(&stmts, "fakesql", nil)}, nil
}

func (c *conn) Close() error {
	c.h.Release()
	return nil
}

func (c *conn) Begin() (driver.Tx, error) { return tx{}, nil }

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return tx{}, ctx.Err()
}

func (c *conn) Ping(ctx context.Context) error { return ctx.Err() }

func (c *conn) run(ctx context.Context, query string, args []driver.NamedValue) (*minisql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pos []any
	named := map[string]any{}
	for _, a := range args {
		if a.Name != "" {
			named[a.Name] = a.Value
		} else {
			pos = append(pos, a.Value)
		}
	}
	return c.db.Run(query, pos, named)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(res.Affected), nil
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	res, err := c.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return &rows{res: res, h: life.Start(&rowsCount, "fakesql", nil)}, nil
}

// tx is a no-op transaction: statements take effect immediately.
type tx struct{}

func (tx) Commit() error   { return nil }
func (tx) Rollback() error { return nil }

type stmt struct {
	c     *conn
	query string
	h     *life.Handle
}

func (s *stmt) Close() error {
	s.h.Release()
	return nil
}

func (s *stmt) NumInput() int { return -1 }

func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

type rows struct {
	res *minisql.Result
	i   int
	h   *life.Handle
}

func (r *rows) Columns() []string { return r.res.Columns }

func (r *rows) Close() error {
	r.h.Release()
	return nil
}

func (r *rows) Next(dest []driver.Value) error {
	if r.i >= len(r.res.Rows) {
		return io.EOF
	}
	for i, v := range r.res.Rows[r.i] {
		dest[i] = v
	}
	r.i++
	return nil
}
