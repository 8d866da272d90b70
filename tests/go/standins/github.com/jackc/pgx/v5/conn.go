// Package pgx is a stand-in for github.com/jackc/pgx/v5, backed by an
// in-memory database per database name shared by every connection in the
// process. SQL is the small dialect described in internal/minisql, with $N
// placeholders.
//
// Stand-in behaviour: every open Conn, Rows and Tx holds one goroutine until
// it is closed (Rows also close when Next runs out, and when Row.Scan
// returns). A Conn with open Rows is busy: other statements on it fail with
// "conn busy", as with the real driver. Conn.Close never fails. Tx runs its
// statements directly; Rollback does not undo them.
package pgx

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/internal/engine"
	"github.com/jackc/pgx/v5/pgconn"
	"standins.test/shared/life"
)

var conns life.Counter

// OpenClients reports how many Conns are open.
func OpenClients() int64 { return conns.Open() }

// Constructed reports how many Conns have been opened.
func Constructed() int64 { return conns.Made() }

// OpenRows reports how many Rows (of pgx and pgxpool) are open.
func OpenRows() int64 { return engine.RowsCounter.Open() }

// OpenTxs reports how many transactions (of pgx and pgxpool) are open.
func OpenTxs() int64 { return engine.TxCounter.Open() }

// ErrNoRows is returned by Row.Scan when there is no row;
// errors.Is(err, sql.ErrNoRows) holds for it.
var ErrNoRows = engine.ErrNoRows

// ErrTxClosed is returned when a committed or rolled back Tx is used.
var ErrTxClosed = engine.ErrTxClosed

var errClosed = errors.New("conn closed")

// Rows is the result of a query. It must be closed.
type Rows = engine.RowsAPI

// Row is the result of QueryRow.
type Row = engine.RowAPI

// Tx is a transaction. It must be committed or rolled back.
type Tx = engine.TxAPI

// ConnConfig is a parsed connection string.
type ConnConfig struct {
	Database      string
	RuntimeParams map[string]string
	connString    string
}

// ConnString returns the connection string the config was parsed from.
func (cc *ConnConfig) ConnString() string { return cc.connString }

// ParseConfig parses a URL or keyword/value connection string.
func ParseConfig(connString string) (*ConnConfig, error) {
	db, params, err := engine.ParseConnString(connString)
	if err != nil {
		return nil, err
	}
	return &ConnConfig{Database: db, RuntimeParams: params, connString: connString}, nil
}

// Conn is a single connection. It is not safe for concurrent use.
type Conn struct {
	h   *life.Handle
	cfg *ConnConfig
	s   *engine.Session
}

// Connect opens a connection.
func Connect(ctx context.Context, connString string) (*Conn, error) {
	cfg, err := ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	return ConnectConfig(ctx, cfg)
}

// ConnectConfig opens a connection with a parsed config.
func ConnectConfig(ctx context.Context, connConfig *ConnConfig) (*Conn, error) {
	if err := life.Dial(ctx, "pgx"); err != nil {
		return nil, err
	}
	return &Conn{h: life.Start(&conns, "pgx", nil), cfg: connConfig,
		s: &engine.Session{DB: engine.Database(connConfig.Database)}}, nil
}

// Close closes the connection. Closing twice is harmless.
func (c *Conn) Close(ctx context.Context) error {
	c.h.Release()
	return nil
}

// IsClosed reports whether the connection is closed.
func (c *Conn) IsClosed() bool { return c.h.Released() }

// Config returns the connection's config.
func (c *Conn) Config() *ConnConfig { return c.cfg }

func (c *Conn) check(ctx context.Context) error { return c.h.Check(ctx, errClosed) }

// Ping checks the connection.
func (c *Conn) Ping(ctx context.Context) error { return c.check(ctx) }

// Exec runs a statement.
func (c *Conn) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	if err := c.check(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return c.s.Exec(sql, arguments)
}

// Query runs a query. The Rows must be closed.
func (c *Conn) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	rows, err := c.s.Query(sql, args, nil)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow runs a query for at most one row.
func (c *Conn) QueryRow(ctx context.Context, sql string, args ...any) Row {
	if err := c.check(ctx); err != nil {
		return engine.NewRow(nil, err)
	}
	return engine.NewRow(c.s.Query(sql, args, nil))
}

// Begin starts a transaction.
func (c *Conn) Begin(ctx context.Context) (Tx, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	return engine.Begin(c.s, c.check, nil), nil
}
