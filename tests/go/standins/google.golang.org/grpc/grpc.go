// Package grpc is a stand-in for google.golang.org/grpc: the client side.
//
// Stand-in behaviour: every ClientConn holds one goroutine until Close, as a
// real connection holds its resolver, balancer and transport goroutines.
// There is no network: Invoke succeeds without a server, and when args and
// reply have the same pointer type it copies args into reply (an echo).
// Like the real package, dialing without transport credentials fails, and
// the context given to DialContext is not kept.
package grpc

import (
	"context"
	"errors"
	"reflect"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"standins.test/shared/life"
)

var conns life.Counter

// OpenClients reports how many ClientConns are built and not yet closed.
func OpenClients() int64 { return conns.Open() }

// Constructed reports how many ClientConns have been built.
func Constructed() int64 { return conns.Made() }

// ErrClientConnClosing is returned by calls on a closed ClientConn.
var ErrClientConnClosing = status.Error(codes.Canceled, "grpc: the client connection is closing")

// DialOption configures how a connection is set up.
type DialOption interface{ apply(*dialOptions) }

type dialOptions struct {
	creds     credentials.TransportCredentials
	block     bool
	userAgent string
	callOpts  []CallOption
}

type funcDialOption func(*dialOptions)

func (f funcDialOption) apply(o *dialOptions) { f(o) }

// WithTransportCredentials sets the connection's transport security.
func WithTransportCredentials(creds credentials.TransportCredentials) DialOption {
	return funcDialOption(func(o *dialOptions) { o.creds = creds })
}

// WithInsecure disables transport security.
//
// Deprecated: use WithTransportCredentials and insecure.NewCredentials().
func WithInsecure() DialOption {
	return WithTransportCredentials(insecure.NewCredentials())
}

// WithBlock makes Dial block until the connection is up.
//
// Deprecated: not supported by NewClient.
func WithBlock() DialOption { return funcDialOption(func(o *dialOptions) { o.block = true }) }

// WithUserAgent sets the User-Agent.
func WithUserAgent(s string) DialOption {
	return funcDialOption(func(o *dialOptions) { o.userAgent = s })
}

// WithDefaultCallOptions sets call options for every call on the connection.
func WithDefaultCallOptions(cos ...CallOption) DialOption {
	return funcDialOption(func(o *dialOptions) { o.callOpts = append(o.callOpts, cos...) })
}

// CallOption configures a call.
type CallOption interface{ before() }

type emptyCallOption struct{}

func (emptyCallOption) before() {}

// WaitForReady makes a call wait for the connection instead of failing fast.
func WaitForReady(waitForReady bool) CallOption { return emptyCallOption{} }

// ClientConnInterface is what generated client stubs need. (The real
// interface also has NewStream; the stand-in supports unary calls only.)
type ClientConnInterface interface {
	Invoke(ctx context.Context, method string, args interface{}, reply interface{}, opts ...CallOption) error
}

// ClientConn is a virtual connection to a server. It is safe for concurrent
// use and meant to be built once and reused; it must be closed.
type ClientConn struct {
	h      *life.Handle
	target string
}

// NewClient creates a ClientConn for target without connecting.
func NewClient(target string, opts ...DialOption) (*ClientConn, error) {
	var o dialOptions
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.creds == nil {
		return nil, errors.New("grpc: no transport security set (use grpc.WithTransportCredentials(insecure.NewCredentials()) explicitly or set credentials)")
	}
	if target == "" {
		return nil, errors.New("grpc: target must not be empty")
	}
	return &ClientConn{h: life.Start(&conns, "grpc", nil), target: target}, nil
}

// Dial is DialContext with context.Background().
//
// Deprecated: use NewClient.
func Dial(target string, opts ...DialOption) (*ClientConn, error) {
	return DialContext(context.Background(), target, opts...)
}

// DialContext creates a ClientConn for target. ctx only bounds the dial: it
// fails if ctx is already done, and is not kept afterwards.
//
// Deprecated: use NewClient.
func DialContext(ctx context.Context, target string, opts ...DialOption) (*ClientConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return NewClient(target, opts...)
}

// Target returns the target the ClientConn was created for.
func (cc *ClientConn) Target() string { return cc.target }

// Connect starts connecting (a no-op for the stand-in).
func (cc *ClientConn) Connect() {}

// Invoke performs a unary RPC.
func (cc *ClientConn) Invoke(ctx context.Context, method string, args interface{}, reply interface{}, opts ...CallOption) error {
	if err := cc.h.Check(ctx, ErrClientConnClosing); err != nil {
		if err == ErrClientConnClosing {
			return err
		}
		return status.FromContextError(err).Err()
	}
	a, r := reflect.ValueOf(args), reflect.ValueOf(reply)
	if a.Kind() == reflect.Pointer && r.Kind() == reflect.Pointer && a.Type() == r.Type() && !a.IsNil() && !r.IsNil() {
		r.Elem().Set(a.Elem())
	}
	return nil
}

// Close tears down the ClientConn. Closing a closed ClientConn returns
// ErrClientConnClosing, as the real one does.
func (cc *ClientConn) Close() error {
	if !cc.h.Release() {
		return ErrClientConnClosing
	}
	return nil
}
