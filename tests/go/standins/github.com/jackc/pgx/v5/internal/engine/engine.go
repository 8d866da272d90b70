// Package engine is the in-memory PostgreSQL shared by the stand-in pgx and
// pgxpool packages: databases by name, sessions (connections), rows and
// transactions.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"standins.test/shared/life"
	"standins.test/shared/minisql"
)

// RowsCounter and TxCounter count open Rows and Txs of both packages.
var RowsCounter, TxCounter life.Counter

// ErrNoRows is returned by Row.Scan when the query returned no rows.
var ErrNoRows error = noRows{}

type noRows struct{}

func (noRows) Error() string { return "no rows in result set" }
func (noRows) Unwrap() error { return sql.ErrNoRows }

// ErrTxClosed is returned when a committed or rolled back Tx is used.
var ErrTxClosed = errors.New("tx is closed")

var dbs = struct {
	sync.Mutex
	m map[string]*minisql.DB
}{m: map[string]*minisql.DB{}}

// Database returns the database with the given name, creating it.
func Database(name string) *minisql.DB {
	dbs.Lock()
	defer dbs.Unlock()
	db := dbs.m[name]
	if db == nil {
		db = minisql.New()
		dbs.m[name] = db
	}
	return db
}

// ParseConnString returns the database name and the other settings of a
// URL ("postgres://user:pw@host:5432/db?sslmode=disable") or keyword/value
// ("host=localhost dbname=db") connection string.
func ParseConnString(s string) (dbname string, params map[string]string, err error) {
	params = map[string]string{}
	dbname = "postgres"
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", nil, fmt.Errorf("cannot parse `%s`: failed to parse as URL (%w)", s, err)
		}
		if p := strings.TrimPrefix(u.Path, "/"); p != "" {
			dbname = p
		}
		for k, v := range u.Query() {
			params[k] = v[0]
		}
		return dbname, params, nil
	}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", nil, fmt.Errorf("cannot parse `%s`: failed to parse as keyword/value (invalid keyword/value)", s)
		}
		params[k] = strings.Trim(v, "'")
	}
	if params["dbname"] != "" {
		dbname = params["dbname"]
	}
	return dbname, params, nil
}

// Session is one connection. It is busy while it has open Rows.
type Session struct {
	DB   *minisql.DB
	mu   sync.Mutex
	busy bool
}

func (s *Session) run(sql string, args []any) (*minisql.Result, error) {
	s.mu.Lock()
	busy := s.busy
	s.mu.Unlock()
	if busy {
		return nil, errors.New("conn busy")
	}
	res, err := s.DB.Run(sql, args, nil)
	if err != nil {
		code := "XX000"
		switch {
		case strings.Contains(err.Error(), "does not exist"):
			code = "42P01"
		case strings.Contains(err.Error(), "duplicate"):
			code = "23505"
		case strings.Contains(err.Error(), "syntax"):
			code = "42601"
		}
		return nil, &pgconn.PgError{Severity: "ERROR", Code: code, Message: err.Error()}
	}
	return res, nil
}

// Exec runs a statement.
func (s *Session) Exec(sql string, args []any) (pgconn.CommandTag, error) {
	res, err := s.run(sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return pgconn.NewCommandTag(res.Tag), nil
}

// Query runs a query; the session is busy until the Rows are closed, and
// then onClose (if not nil) runs.
func (s *Session) Query(sql string, args []any, onClose func()) (*Rows, error) {
	res, err := s.run(sql, args)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.busy = true
	s.mu.Unlock()
	return &Rows{cols: res.Columns, data: res.Rows, tag: pgconn.NewCommandTag(res.Tag),
		h: life.Start(&RowsCounter, "pgx", nil), onClose: func() {
			s.mu.Lock()
			s.busy = false
			s.mu.Unlock()
			if onClose != nil {
				onClose()
			}
		}}, nil
}

// Rows is the result of a query; it must be closed (Next closes it when it
// runs out).
type Rows struct {
	cols    []string
	data    [][]any
	cur     []any
	tag     pgconn.CommandTag
	err     error
	h       *life.Handle
	onClose func()
}

// Close closes the rows. Closing twice is harmless.
func (r *Rows) Close() {
	if r.h.Release() && r.onClose != nil {
		r.onClose()
	}
}

// Err returns the error that ended the rows.
func (r *Rows) Err() error { return r.err }

// CommandTag returns the statement's command tag.
func (r *Rows) CommandTag() pgconn.CommandTag { return r.tag }

// FieldDescriptions describes the columns.
func (r *Rows) FieldDescriptions() []pgconn.FieldDescription {
	fds := make([]pgconn.FieldDescription, len(r.cols))
	for i, c := range r.cols {
		fds[i].Name = c
	}
	return fds
}

// Next moves to the next row; at the end it closes the rows.
func (r *Rows) Next() bool {
	if r.h.Released() || len(r.data) == 0 {
		r.Close()
		return false
	}
	r.cur, r.data = r.data[0], r.data[1:]
	return true
}

// Scan stores the current row into dest; nil entries skip a column.
func (r *Rows) Scan(dest ...any) error {
	if r.cur == nil {
		return errors.New("no current row")
	}
	if len(dest) != len(r.cur) {
		return fmt.Errorf("number of field descriptions must equal number of destinations, got %d and %d", len(r.cur), len(dest))
	}
	for i, d := range dest {
		if d == nil {
			continue
		}
		if err := minisql.Assign(d, r.cur[i]); err != nil {
			return fmt.Errorf("can't scan into dest[%d]: %w", i, err)
		}
	}
	return nil
}

// Values returns the current row.
func (r *Rows) Values() ([]any, error) { return append([]any(nil), r.cur...), nil }

// RawValues returns the current row as text.
func (r *Rows) RawValues() [][]byte {
	out := make([][]byte, len(r.cur))
	for i, v := range r.cur {
		if v != nil {
			out[i] = []byte(fmt.Sprint(v))
		}
	}
	return out
}

// Row is the result of QueryRow.
type Row struct {
	rows *Rows
	err  error
}

// NewRow wraps the result of Query for QueryRow.
func NewRow(rows *Rows, err error) *Row { return &Row{rows: rows, err: err} }

// Scan stores the first row into dest and closes the rows; it returns
// ErrNoRows if there is none.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		return ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// Tx is a transaction. The stand-in runs its statements directly: Rollback
// does not undo them.
type Tx struct {
	s     *Session
	h     *life.Handle
	onEnd func()
	check func(context.Context) error
}

// Begin starts a transaction on s; onEnd runs when it ends. check is the
// owner's liveness check.
func Begin(s *Session, check func(context.Context) error, onEnd func()) *Tx {
	return &Tx{s: s, h: life.Start(&TxCounter, "pgx", nil), onEnd: onEnd, check: check}
}

func (tx *Tx) end() error {
	if !tx.h.Release() {
		return ErrTxClosed
	}
	if tx.onEnd != nil {
		tx.onEnd()
	}
	return nil
}

// Commit commits the transaction.
func (tx *Tx) Commit(ctx context.Context) error { return tx.end() }

// Rollback rolls the transaction back; after Commit it returns ErrTxClosed.
func (tx *Tx) Rollback(ctx context.Context) error { return tx.end() }

func (tx *Tx) checkTx(ctx context.Context) error {
	if tx.h.Released() {
		return ErrTxClosed
	}
	return tx.check(ctx)
}

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := tx.checkTx(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return tx.s.Exec(sql, args)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, sql string, args ...any) (RowsAPI, error) {
	if err := tx.checkTx(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.s.Query(sql, args, nil)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow runs a query in the transaction for at most one row.
func (tx *Tx) QueryRow(ctx context.Context, sql string, args ...any) RowAPI {
	if err := tx.checkTx(ctx); err != nil {
		return NewRow(nil, err)
	}
	return NewRow(tx.s.Query(sql, args, nil))
}

// RowsAPI is pgx.Rows (pgx aliases it; it is declared here so that pgx and
// pgxpool can share one implementation).
type RowsAPI interface {
	Close()
	Err() error
	CommandTag() pgconn.CommandTag
	FieldDescriptions() []pgconn.FieldDescription
	Next() bool
	Scan(dest ...any) error
	Values() ([]any, error)
	RawValues() [][]byte
}

// RowAPI is pgx.Row.
type RowAPI interface {
	Scan(dest ...any) error
}

// TxAPI is pgx.Tx.
type TxAPI interface {
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (RowsAPI, error)
	QueryRow(ctx context.Context, sql string, args ...any) RowAPI
}
