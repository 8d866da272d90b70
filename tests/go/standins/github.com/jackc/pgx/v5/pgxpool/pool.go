// Package pgxpool is a stand-in for github.com/jackc/pgx/v5/pgxpool.
//
// Stand-in behaviour: every open Pool and every acquired Conn holds one
// goroutine. The pool has MaxConns connections (pool_max_conns in the
// connection string, default max(4, NumCPU)); Rows hold their connection
// until they are closed, so leaked Rows exhaust the pool and Acquire then
// blocks until its context is done, as with the real pool. Unlike the real
// pool, Close does not wait for acquired connections to be released.
package pgxpool

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/internal/engine"
	"github.com/jackc/pgx/v5/pgconn"
	"standins.test/shared/life"
)

var pools, acquired life.Counter

// OpenClients reports how many Pools are open.
func OpenClients() int64 { return pools.Open() }

// Constructed reports how many Pools have been created.
func Constructed() int64 { return pools.Made() }

// AcquiredConns reports how many connections are acquired and not released,
// in all pools (including those held by open Rows and Txs).
func AcquiredConns() int64 { return acquired.Open() }

var errClosedPool = errors.New("closed pool")

// Config is a pool configuration. Create it with ParseConfig.
type Config struct {
	ConnConfig        *pgx.ConnConfig
	MaxConns          int32
	MinConns          int32
	MaxConnLifetime   time.Duration
	MaxConnIdleTime   time.Duration
	HealthCheckPeriod time.Duration
}

// ConnString returns the connection string the config was parsed from.
func (c *Config) ConnString() string { return c.ConnConfig.ConnString() }

// ParseConfig parses a connection string, including pool_max_conns.
func ParseConfig(connString string) (*Config, error) {
	cc, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	c := &Config{ConnConfig: cc, MaxConns: int32(max(4, runtime.NumCPU()))}
	if s, ok := cc.RuntimeParams["pool_max_conns"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, errors.New("cannot parse pool_max_conns: " + s)
		}
		c.MaxConns = int32(n)
	}
	return c, nil
}

// Pool is a connection pool. It is safe for concurrent use and meant to be
// built once and reused; it must be closed.
type Pool struct {
	h   *life.Handle
	cfg *Config
	sem chan struct{}
}

// New creates a pool.
func New(ctx context.Context, connString string) (*Pool, error) {
	cfg, err := ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	return NewWithConfig(ctx, cfg)
}

// NewWithConfig creates a pool from a config made by ParseConfig.
func NewWithConfig(ctx context.Context, config *Config) (*Pool, error) {
	if config == nil || config.ConnConfig == nil {
		panic("config must be created by ParseConfig")
	}
	if err := life.Dial(ctx, "pgxpool"); err != nil {
		return nil, err
	}
	n := config.MaxConns
	if n < 1 {
		n = 1
	}
	return &Pool{h: life.Start(&pools, "pgxpool", nil), cfg: config, sem: make(chan struct{}, n)}, nil
}

// Close closes the pool. Closing twice is harmless.
func (p *Pool) Close() { p.h.Release() }

// Config returns the pool's config.
func (p *Pool) Config() *Config { return p.cfg }

// Stat is a snapshot of the pool's state.
type Stat struct {
	acquired, max int32
}

// AcquiredConns returns the number of acquired connections.
func (s *Stat) AcquiredConns() int32 { return s.acquired }

// MaxConns returns the pool's maximum size.
func (s *Stat) MaxConns() int32 { return s.max }

// TotalConns returns the number of connections (the acquired ones).
func (s *Stat) TotalConns() int32 { return s.acquired }

// Stat returns the pool's state.
func (p *Pool) Stat() *Stat {
	return &Stat{acquired: int32(len(p.sem)), max: int32(cap(p.sem))}
}

// Conn is an acquired connection. It must be released.
type Conn struct {
	p    *Pool
	s    *engine.Session
	h    *life.Handle
	once sync.Once
}

// Acquire takes a connection from the pool, waiting while all are in use.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	if err := p.h.Check(ctx, errClosedPool); err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.h.Done():
		return nil, errClosedPool
	}
	return &Conn{p: p, s: &engine.Session{DB: engine.Database(p.cfg.ConnConfig.Database)},
		h: life.Start(&acquired, "pgxpool", nil)}, nil
}

// Release returns the connection to the pool. Releasing twice is harmless.
func (c *Conn) Release() {
	c.once.Do(func() {
		c.h.Release()
		<-c.p.sem
	})
}

func (c *Conn) check(ctx context.Context) error {
	if c.h.Released() {
		return errors.New("conn released")
	}
	return c.p.h.Check(ctx, errClosedPool)
}

// Exec runs a statement.
func (c *Conn) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	if err := c.check(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return c.s.Exec(sql, arguments)
}

// Query runs a query. The Rows must be closed.
func (c *Conn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.query(ctx, sql, args, nil)
}

func (c *Conn) query(ctx context.Context, sql string, args []any, onClose func()) (pgx.Rows, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	rows, err := c.s.Query(sql, args, onClose)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow runs a query for at most one row.
func (c *Conn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := c.check(ctx); err != nil {
		return engine.NewRow(nil, err)
	}
	return engine.NewRow(c.s.Query(sql, args, nil))
}

// Begin starts a transaction on the connection.
func (c *Conn) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	return engine.Begin(c.s, c.check, nil), nil
}

// Ping checks that a connection can be acquired.
func (p *Pool) Ping(ctx context.Context) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	c.Release()
	return nil
}

// Exec acquires a connection, runs a statement and releases it.
func (p *Pool) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer c.Release()
	return c.Exec(ctx, sql, arguments...)
}

// Query acquires a connection and runs a query; the connection is released
// when the Rows are closed.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.query(ctx, sql, args, c.Release)
	if err != nil {
		c.Release()
		return nil, err
	}
	return rows, nil
}

// QueryRow is Query for at most one row; Scan releases the connection.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.Acquire(ctx)
	if err != nil {
		return engine.NewRow(nil, err)
	}
	rows, err := c.query(ctx, sql, args, c.Release)
	if err != nil {
		c.Release()
		return engine.NewRow(nil, err)
	}
	return engine.NewRow(rows.(*engine.Rows), nil)
}

// Begin acquires a connection and starts a transaction on it; the
// connection is released when the transaction ends.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return engine.Begin(c.s, c.check, c.Release), nil
}
