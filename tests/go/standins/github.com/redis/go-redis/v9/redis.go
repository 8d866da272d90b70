// Package redis is a stand-in for github.com/redis/go-redis/v9, backed by an
// in-memory server per Options.Addr shared by every client in the process.
//
// Stand-in behaviour: every live Client and PubSub holds one goroutine until
// Close (a PubSub whose Channel was asked for holds one more). Published
// messages go to the PubSubs subscribed at that moment; each PubSub buffers
// up to 1000 undelivered messages and drops the rest. Closing a Client or a
// PubSub twice returns ErrClosed, as the real ones do.
package redis

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"standins.test/shared/life"
)

// ErrClosed is returned by calls on a closed client or PubSub.
var ErrClosed = errors.New("redis: client is closed")

// RedisError is an error reply from the server.
type RedisError string

func (e RedisError) Error() string { return string(e) }

// Nil is the reply when a key does not exist.
const Nil = RedisError("redis: nil")

var clients, pubsubs life.Counter
var blocked atomic.Int64

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// OpenPubSubs reports how many PubSubs are not yet closed.
func OpenPubSubs() int64 { return pubsubs.Open() }

// BlockedReceives reports how many goroutines are waiting in
// PubSub.ReceiveMessage or PubSub.Receive.
func BlockedReceives() int64 { return blocked.Load() }

type entry struct {
	val string
	exp time.Time
}

type server struct {
	mu   sync.Mutex
	kv   map[string]entry
	subs map[string]map[*PubSub]bool
}

var servers = struct {
	sync.Mutex
	m map[string]*server
}{m: map[string]*server{}}

func serverFor(addr string) *server {
	servers.Lock()
	defer servers.Unlock()
	s := servers.m[addr]
	if s == nil {
		s = &server{kv: map[string]entry{}, subs: map[string]map[*PubSub]bool{}}
		servers.m[addr] = s
	}
	return s
}

// Options configures a Client.
type Options struct {
	Network      string
	Addr         string
	Username     string
	Password     string
	DB           int
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	PoolSize     int
	MinIdleConns int
}

// ParseURL parses a URL such as redis://user:password@localhost:6379/0.
func ParseURL(redisURL string) (*Options, error) {
	u, err := url.Parse(redisURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, errors.New("redis: invalid URL scheme: " + u.Scheme)
	}
	o := &Options{Addr: u.Host}
	if u.Port() == "" {
		o.Addr = u.Hostname() + ":6379"
	}
	o.Username = u.User.Username()
	o.Password, _ = u.User.Password()
	if p := strings.Trim(u.Path, "/"); p != "" {
		if o.DB, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("redis: invalid database number: %q", p)
		}
	}
	return o, nil
}

// Client is a Redis client. It is safe for concurrent use and meant to be
// built once and reused.
type Client struct {
	opt Options
	srv *server
	h   *life.Handle
}

// NewClient returns a client for the server opt describes.
func NewClient(opt *Options) *Client {
	o := *opt
	if o.Addr == "" {
		o.Addr = "localhost:6379"
	}
	return &Client{opt: o, srv: serverFor(o.Addr + "/" + strconv.Itoa(o.DB)), h: life.Start(&clients, "redis", nil)}
}

// Options returns the client's options.
func (c *Client) Options() *Options { return &c.opt }

// Close closes the client. Closing a closed client returns ErrClosed.
func (c *Client) Close() error {
	if !c.h.Release() {
		return ErrClosed
	}
	return nil
}

func (c *Client) check(ctx context.Context) error { return c.h.Check(ctx, ErrClosed) }

type baseCmd struct{ err error }

// Err returns the command's error.
func (cmd *baseCmd) Err() error { return cmd.err }

// StringCmd is a command with a string reply.
type StringCmd struct {
	baseCmd
	val string
}

// Val returns the reply.
func (cmd *StringCmd) Val() string { return cmd.val }

// Result returns the reply and the error.
func (cmd *StringCmd) Result() (string, error) { return cmd.val, cmd.err }

// Int returns the reply as an int.
func (cmd *StringCmd) Int() (int, error) {
	if cmd.err != nil {
		return 0, cmd.err
	}
	return strconv.Atoi(cmd.val)
}

// Bytes returns the reply as bytes.
func (cmd *StringCmd) Bytes() ([]byte, error) { return []byte(cmd.val), cmd.err }

// StatusCmd is a command with a status reply.
type StatusCmd struct {
	baseCmd
	val string
}

// Val returns the reply.
func (cmd *StatusCmd) Val() string { return cmd.val }

// Result returns the reply and the error.
func (cmd *StatusCmd) Result() (string, error) { return cmd.val, cmd.err }

// IntCmd is a command with an integer reply.
type IntCmd struct {
	baseCmd
	val int64
}

// Val returns the reply.
func (cmd *IntCmd) Val() int64 { return cmd.val }

// Result returns the reply and the error.
func (cmd *IntCmd) Result() (int64, error) { return cmd.val, cmd.err }

// BoolCmd is a command with a boolean reply.
type BoolCmd struct {
	baseCmd
	val bool
}

// Val returns the reply.
func (cmd *BoolCmd) Val() bool { return cmd.val }

// Result returns the reply and the error.
func (cmd *BoolCmd) Result() (bool, error) { return cmd.val, cmd.err }

// Ping checks the connection.
func (c *Client) Ping(ctx context.Context) *StatusCmd {
	if err := c.check(ctx); err != nil {
		return &StatusCmd{baseCmd: baseCmd{err}}
	}
	return &StatusCmd{val: "PONG"}
}

// lookup returns the live entry for key, with srv.mu held.
func (s *server) lookup(key string) (entry, bool) {
	e, ok := s.kv[key]
	if ok && !e.exp.IsZero() && time.Now().After(e.exp) {
		delete(s.kv, key)
		return entry{}, false
	}
	return e, ok
}

// Get returns the value of key, or the error Nil.
func (c *Client) Get(ctx context.Context, key string) *StringCmd {
	if err := c.check(ctx); err != nil {
		return &StringCmd{baseCmd: baseCmd{err}}
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	e, ok := c.srv.lookup(key)
	if !ok {
		return &StringCmd{baseCmd: baseCmd{Nil}}
	}
	return &StringCmd{val: e.val}
}

func format(v interface{}) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(v), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case encoding.BinaryMarshaler:
		b, err := v.MarshalBinary()
		return string(b), err
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("redis: can't marshal %T (implement encoding.BinaryMarshaler)", v)
}

// Set sets key to value; a non-zero expiration sets a time to live.
func (c *Client) Set(ctx context.Context, key string, value interface{}, expiration time.Duration) *StatusCmd {
	if err := c.check(ctx); err != nil {
		return &StatusCmd{baseCmd: baseCmd{err}}
	}
	s, err := format(value)
	if err != nil {
		return &StatusCmd{baseCmd: baseCmd{err}}
	}
	e := entry{val: s}
	if expiration > 0 {
		e.exp = time.Now().Add(expiration)
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	c.srv.kv[key] = e
	return &StatusCmd{val: "OK"}
}

// SetNX sets key only if it does not exist.
func (c *Client) SetNX(ctx context.Context, key string, value interface{}, expiration time.Duration) *BoolCmd {
	c.srv.mu.Lock()
	_, exists := c.srv.lookup(key)
	c.srv.mu.Unlock()
	if err := c.check(ctx); err != nil || exists {
		return &BoolCmd{baseCmd: baseCmd{err}}
	}
	if err := c.Set(ctx, key, value, expiration).Err(); err != nil {
		return &BoolCmd{baseCmd: baseCmd{err}}
	}
	return &BoolCmd{val: true}
}

// Del deletes keys and returns how many existed.
func (c *Client) Del(ctx context.Context, keys ...string) *IntCmd {
	if err := c.check(ctx); err != nil {
		return &IntCmd{baseCmd: baseCmd{err}}
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	var n int64
	for _, k := range keys {
		if _, ok := c.srv.lookup(k); ok {
			delete(c.srv.kv, k)
			n++
		}
	}
	return &IntCmd{val: n}
}

// Exists returns how many of keys exist.
func (c *Client) Exists(ctx context.Context, keys ...string) *IntCmd {
	if err := c.check(ctx); err != nil {
		return &IntCmd{baseCmd: baseCmd{err}}
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	var n int64
	for _, k := range keys {
		if _, ok := c.srv.lookup(k); ok {
			n++
		}
	}
	return &IntCmd{val: n}
}

// Incr increments the integer value of key.
func (c *Client) Incr(ctx context.Context, key string) *IntCmd {
	if err := c.check(ctx); err != nil {
		return &IntCmd{baseCmd: baseCmd{err}}
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	e, _ := c.srv.lookup(key)
	n := int64(0)
	if e.val != "" {
		var err error
		if n, err = strconv.ParseInt(e.val, 10, 64); err != nil {
			return &IntCmd{baseCmd: baseCmd{RedisError("ERR value is not an integer or out of range")}}
		}
	}
	n++
	e.val = strconv.FormatInt(n, 10)
	c.srv.kv[key] = e
	return &IntCmd{val: n}
}

// Publish posts message to channel and returns how many subscribers got it.
func (c *Client) Publish(ctx context.Context, channel string, message interface{}) *IntCmd {
	if err := c.check(ctx); err != nil {
		return &IntCmd{baseCmd: baseCmd{err}}
	}
	payload, err := format(message)
	if err != nil {
		return &IntCmd{baseCmd: baseCmd{err}}
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	var n int64
	for ps := range c.srv.subs[channel] {
		select {
		case ps.in <- &Message{Channel: channel, Payload: payload}:
			n++
		default: // a slow subscriber loses messages
		}
	}
	return &IntCmd{val: n}
}

// Message is a message received on a channel.
type Message struct {
	Channel      string
	Pattern      string
	Payload      string
	PayloadSlice []string
}

func (m *Message) String() string { return "Message<" + m.Channel + ": " + m.Payload + ">" }

// Subscription is a subscription event returned by PubSub.Receive.
type Subscription struct {
	Kind    string // "subscribe" or "unsubscribe"
	Channel string
	Count   int
}

// PubSub is a subscription to channels. It must be closed.
type PubSub struct {
	c        *Client
	h        *life.Handle
	in       chan interface{}
	mu       sync.Mutex
	channels map[string]bool
	chOnce   sync.Once
	ch       chan *Message
}

// Subscribe subscribes the client to channels and returns the PubSub.
func (c *Client) Subscribe(ctx context.Context, channels ...string) *PubSub {
	ps := &PubSub{c: c, h: life.Start(&pubsubs, "redis", nil), in: make(chan interface{}, 1000), channels: map[string]bool{}}
	if len(channels) > 0 {
		_ = ps.Subscribe(ctx, channels...)
	}
	return ps
}

func (ps *PubSub) check(ctx context.Context) error {
	if ps.h.Released() {
		return ErrClosed
	}
	return ps.c.check(ctx)
}

// Subscribe adds channels to the subscription.
func (ps *PubSub) Subscribe(ctx context.Context, channels ...string) error {
	if err := ps.check(ctx); err != nil {
		return err
	}
	ps.c.srv.mu.Lock()
	defer ps.c.srv.mu.Unlock()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, ch := range channels {
		if ps.c.srv.subs[ch] == nil {
			ps.c.srv.subs[ch] = map[*PubSub]bool{}
		}
		ps.c.srv.subs[ch][ps] = true
		ps.channels[ch] = true
		select {
		case ps.in <- &Subscription{Kind: "subscribe", Channel: ch, Count: len(ps.channels)}:
		default:
		}
	}
	return nil
}

// Unsubscribe removes channels (all of them if none are given).
func (ps *PubSub) Unsubscribe(ctx context.Context, channels ...string) error {
	if err := ps.check(ctx); err != nil {
		return err
	}
	ps.unsubscribe(channels...)
	return nil
}

func (ps *PubSub) unsubscribe(channels ...string) {
	ps.c.srv.mu.Lock()
	defer ps.c.srv.mu.Unlock()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(channels) == 0 {
		for ch := range ps.channels {
			channels = append(channels, ch)
		}
	}
	for _, ch := range channels {
		delete(ps.c.srv.subs[ch], ps)
		delete(ps.channels, ch)
	}
}

// Close unsubscribes and closes the PubSub. Closing twice returns ErrClosed.
func (ps *PubSub) Close() error {
	if !ps.h.Release() {
		return ErrClosed
	}
	ps.unsubscribe()
	return nil
}

// Receive returns the next Subscription event or *Message.
func (ps *PubSub) Receive(ctx context.Context) (interface{}, error) {
	if err := ps.check(ctx); err != nil {
		return nil, err
	}
	blocked.Add(1)
	defer blocked.Add(-1)
	select {
	case v := <-ps.in:
		return v, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-ps.h.Done():
		return nil, ErrClosed
	case <-ps.c.h.Done():
		return nil, ErrClosed
	}
}

// ReceiveMessage returns the next message, skipping subscription events. It
// returns when ctx is done or the PubSub is closed.
func (ps *PubSub) ReceiveMessage(ctx context.Context) (*Message, error) {
	for {
		v, err := ps.Receive(ctx)
		if err != nil {
			return nil, err
		}
		if m, ok := v.(*Message); ok {
			return m, nil
		}
	}
}

// ChannelOption is an option for Channel.
type ChannelOption func(*channelOptions)

type channelOptions struct{ size int }

// WithChannelSize sets the Go channel's buffer size (default 100).
func WithChannelSize(size int) ChannelOption {
	return func(o *channelOptions) { o.size = size }
}

// Channel returns a Go channel of messages, fed by a goroutine, that is
// closed when the PubSub is closed. Options of later calls are ignored.
func (ps *PubSub) Channel(opts ...ChannelOption) <-chan *Message {
	ps.chOnce.Do(func() {
		o := channelOptions{size: 100}
		for _, opt := range opts {
			opt(&o)
		}
		ps.ch = make(chan *Message, o.size)
		go func() {
			defer close(ps.ch)
			for {
				select {
				case v := <-ps.in:
					if m, ok := v.(*Message); ok {
						select {
						case ps.ch <- m:
						case <-ps.h.Done():
							return
						}
					}
				case <-ps.h.Done():
					return
				}
			}
		}()
	})
	return ps.ch
}
