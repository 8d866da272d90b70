// Package life counts the live resources of a stand-in package and holds one
// goroutine for each, so that a leaked resource shows up both in the
// package's counters and in runtime.NumGoroutine.
//
// It lives in the module standins.test/shared (tests/go/standins/_shared),
// which every stand-in module requires and replaces with that folder.
package life

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrCreationCanceled is wrapped by the error a call returns when the
// context its client was created with is done.
var ErrCreationCanceled = errors.New("client creation context canceled")

// Counter counts the resources of one kind.
type Counter struct {
	made, released atomic.Int64
}

// Made reports how many resources were ever started.
func (c *Counter) Made() int64 { return c.made.Load() }

// Open reports how many resources are started and not yet released.
func (c *Counter) Open() int64 { return c.made.Load() - c.released.Load() }

// Handle is one live resource.
type Handle struct {
	c       *Counter
	name    string
	created context.Context
	done    chan struct{}
	once    sync.Once
}

// Track counts a new resource without starting a goroutine for it. name
// prefixes errors ("storage"); created, if not nil, is the context the
// resource keeps using after its constructor returned.
func Track(c *Counter, name string, created context.Context) *Handle {
	c.made.Add(1)
	return &Handle{c: c, name: name, created: created, done: make(chan struct{})}
}

// Start is Track plus a background goroutine that lives until Release.
func Start(c *Counter, name string, created context.Context) *Handle {
	h := Track(c, name, created)
	go func() { <-h.done }()
	return h
}

// Release marks the resource released and stops its goroutine. Only the
// first call has an effect; it reports whether this call was that one.
func (h *Handle) Release() bool {
	first := false
	h.once.Do(func() {
		first = true
		close(h.done)
		h.c.released.Add(1)
	})
	return first
}

// Done is closed once the resource is released.
func (h *Handle) Done() <-chan struct{} { return h.done }

// CreationDone is closed when the creation context is done; it is nil (never
// ready) when the resource keeps no creation context.
func (h *Handle) CreationDone() <-chan struct{} {
	if h.created == nil {
		return nil
	}
	return h.created.Done()
}

// Released reports whether Release was called.
func (h *Handle) Released() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// Check returns the error a call on the resource gets: closed once it is
// released, an error wrapping ErrCreationCanceled and the creation context's
// cause once that context is done, otherwise ctx's error (ctx may be nil).
func (h *Handle) Check(ctx context.Context, closed error) error {
	if h.Released() {
		return closed
	}
	if h.created != nil && h.created.Err() != nil {
		return fmt.Errorf("%s: %w: %w", h.name, ErrCreationCanceled, context.Cause(h.created))
	}
	if ctx != nil {
		return ctx.Err()
	}
	return nil
}

// Dial is what a constructor calls first: it fails, like a real dial or
// credential lookup would, when ctx is already done.
func Dial(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: dialing: %w", name, err)
	}
	return nil
}
