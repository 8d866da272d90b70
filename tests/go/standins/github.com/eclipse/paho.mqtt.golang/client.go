// Package mqtt is a stand-in for github.com/eclipse/paho.mqtt.golang, backed
// by an in-memory broker shared by every client in the process.
//
// Stand-in behaviour: a connected Client holds one goroutine, which calls
// the message handlers one message at a time, until Disconnect. Messages
// published to a topic are queued (up to 1000, then dropped) for every
// connected client with a matching subscription (+ and # wildcards). Tokens
// are complete when returned. Retained messages are not stored.
package mqtt

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"time"

	"standins.test/shared/life"
)

// ErrNotConnected is the error of a token on a client that is not connected.
var ErrNotConnected = errors.New("not Connected")

var clients life.Counter

// OpenClients reports how many clients are connected and not disconnected.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many connections have been made.
func Constructed() int64 { return clients.Made() }

// Client is an MQTT client.
type Client interface {
	IsConnected() bool
	IsConnectionOpen() bool
	Connect() Token
	Disconnect(quiesce uint)
	Publish(topic string, qos byte, retained bool, payload interface{}) Token
	Subscribe(topic string, qos byte, callback MessageHandler) Token
	SubscribeMultiple(filters map[string]byte, callback MessageHandler) Token
	Unsubscribe(topics ...string) Token
	AddRoute(topic string, callback MessageHandler)
	OptionsReader() ClientOptionsReader
}

// Token tracks an asynchronous action.
type Token interface {
	Wait() bool
	WaitTimeout(time.Duration) bool
	Done() <-chan struct{}
	Error() error
}

type token struct {
	done chan struct{}
	err  error
}

func newToken(err error) *token {
	t := &token{done: make(chan struct{}), err: err}
	close(t.done)
	return t
}

func (t *token) Wait() bool                     { return true }
func (t *token) WaitTimeout(time.Duration) bool { return true }
func (t *token) Done() <-chan struct{}          { return t.done }
func (t *token) Error() error                   { return t.err }

// Message is a received message.
type Message interface {
	Duplicate() bool
	Qos() byte
	Retained() bool
	Topic() string
	MessageID() uint16
	Payload() []byte
	Ack()
}

type message struct {
	topic    string
	payload  []byte
	qos      byte
	retained bool
	id       uint16
}

func (m *message) Duplicate() bool   { return false }
func (m *message) Qos() byte         { return m.qos }
func (m *message) Retained() bool    { return m.retained }
func (m *message) Topic() string     { return m.topic }
func (m *message) MessageID() uint16 { return m.id }
func (m *message) Payload() []byte   { return m.payload }
func (m *message) Ack()              {}

var broker = struct {
	sync.Mutex
	clients map[*client]bool
	nextID  uint16
}{clients: map[*client]bool{}}

type client struct {
	opts   ClientOptions
	mu     sync.Mutex
	h      *life.Handle // nil while not connected
	inbox  chan *message
	subs   map[string]MessageHandler // topic filter -> handler (nil: default)
	routes map[string]MessageHandler // AddRoute handlers
}

// NewClient returns a client that is not yet connected.
func NewClient(o *ClientOptions) Client {
	c := &client{opts: *o, subs: map[string]MessageHandler{}, routes: map[string]MessageHandler{}}
	return c
}

func (c *client) OptionsReader() ClientOptionsReader { return ClientOptionsReader{&c.opts} }

func (c *client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h != nil && !c.h.Released()
}

func (c *client) IsConnectionOpen() bool { return c.IsConnected() }

// Connect connects to the broker and starts the client's goroutine.
func (c *client) Connect() Token {
	if len(c.opts.Servers) == 0 {
		return newToken(errors.New("no servers defined to connect to"))
	}
	c.mu.Lock()
	if c.h != nil && !c.h.Released() {
		c.mu.Unlock()
		return newToken(nil)
	}
	h := life.Track(&clients, "mqtt", nil)
	inbox := make(chan *message, 1000)
	c.h, c.inbox = h, inbox
	c.mu.Unlock()
	go c.run(h, inbox)
	broker.Lock()
	broker.clients[c] = true
	broker.Unlock()
	if c.opts.onConnect != nil {
		go c.opts.onConnect(c)
	}
	return newToken(nil)
}

func (c *client) run(h *life.Handle, inbox <-chan *message) {
	for {
		select {
		case <-h.Done():
			return
		case m := <-inbox:
			if f := c.handler(m.topic); f != nil {
				f(c, m)
			}
		}
	}
}

func (c *client) handler(topic string) MessageHandler {
	c.mu.Lock()
	defer c.mu.Unlock()
	for filter, f := range c.subs {
		if f != nil && match(filter, topic) {
			return f
		}
	}
	for filter, f := range c.routes {
		if match(filter, topic) {
			return f
		}
	}
	return c.opts.defaultHandler
}

// Disconnect ends the connection and stops the client's goroutine.
// Disconnecting a client that is not connected is harmless.
func (c *client) Disconnect(quiesce uint) {
	broker.Lock()
	delete(broker.clients, c)
	broker.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h != nil {
		c.h.Release()
	}
}

// Publish sends payload (string, []byte or *bytes.Buffer) to topic.
func (c *client) Publish(topic string, qos byte, retained bool, payload interface{}) Token {
	if !c.IsConnected() {
		return newToken(ErrNotConnected)
	}
	var data []byte
	switch p := payload.(type) {
	case string:
		data = []byte(p)
	case []byte:
		data = append([]byte(nil), p...)
	case bytes.Buffer:
		data = append([]byte(nil), p.Bytes()...)
	case *bytes.Buffer:
		data = append([]byte(nil), p.Bytes()...)
	default:
		return newToken(errors.New("unknown payload type"))
	}
	broker.Lock()
	defer broker.Unlock()
	broker.nextID++
	for sub := range broker.clients {
		if sub.subscribed(topic) {
			select {
			case sub.inbox <- &message{topic: topic, payload: data, qos: qos, retained: retained, id: broker.nextID}:
			default:
			}
		}
	}
	return newToken(nil)
}

func (c *client) subscribed(topic string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for filter := range c.subs {
		if match(filter, topic) {
			return true
		}
	}
	return false
}

// Subscribe subscribes to a topic filter; a nil callback uses the default
// publish handler.
func (c *client) Subscribe(topic string, qos byte, callback MessageHandler) Token {
	return c.SubscribeMultiple(map[string]byte{topic: qos}, callback)
}

func (c *client) SubscribeMultiple(filters map[string]byte, callback MessageHandler) Token {
	if !c.IsConnected() {
		return newToken(ErrNotConnected)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for f := range filters {
		c.subs[f] = callback
	}
	return newToken(nil)
}

func (c *client) Unsubscribe(topics ...string) Token {
	if !c.IsConnected() {
		return newToken(ErrNotConnected)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range topics {
		delete(c.subs, t)
	}
	return newToken(nil)
}

// AddRoute sets the handler for messages on topic without subscribing.
func (c *client) AddRoute(topic string, callback MessageHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes[topic] = callback
}

// match reports whether topic matches an MQTT topic filter.
func match(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || (f != "+" && f != ts[i]) {
			return false
		}
	}
	return len(fs) == len(ts)
}
