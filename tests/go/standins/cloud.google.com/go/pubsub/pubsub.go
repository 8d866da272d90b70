// Package pubsub is a stand-in for cloud.google.com/go/pubsub, backed by an
// in-memory broker shared by every client in the process: a message
// published to a topic is queued on each of the topic's subscriptions until
// a Receive delivers it.
//
// Stand-in behaviour: every live Client, and every Topic that has published
// and is not stopped, holds one goroutine. A Client keeps the context it was
// created with; once that context is done its calls fail with "pubsub:
// client creation context canceled". Publishing to a topic that was never
// created creates it. Receive calls its callback from one goroutine; a
// message that is neither acked nor nacked is not redelivered, a nacked one
// is queued again.
package pubsub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"google.golang.org/api/option"
	"standins.test/shared/life"
)

var (
	// ErrTopicStopped is the error a Publish result gets after Stop.
	ErrTopicStopped = errors.New("pubsub: Stop has been called for this topic")

	errClosed = errors.New("pubsub: client is closed")
)

var clients, topics, receives life.Counter

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// RunningTopics reports how many Topic handles have published and have not
// been stopped (each holds a publishing goroutine).
func RunningTopics() int64 { return topics.Open() }

// ActiveReceives reports how many Subscription.Receive calls are running.
func ActiveReceives() int64 { return receives.Open() }

type subState struct {
	topic  string
	queue  []*Message
	notify chan struct{} // closed and replaced when the queue grows
}

var broker = struct {
	sync.Mutex
	topics map[string]bool
	subs   map[string]*subState
	nextID int
}{topics: map[string]bool{}, subs: map[string]*subState{}}

func (s *subState) push(m *Message) {
	s.queue = append(s.queue, m)
	close(s.notify)
	s.notify = make(chan struct{})
}

// Client is a Pub/Sub client. It is safe for concurrent use and meant to be
// built once and reused.
type Client struct {
	h       *life.Handle
	project string
}

// NewClient creates a new Pub/Sub client for the project.
func NewClient(ctx context.Context, projectID string, opts ...option.ClientOption) (*Client, error) {
	if err := life.Dial(ctx, "pubsub"); err != nil {
		return nil, err
	}
	if projectID == "" {
		return nil, errors.New("pubsub: projectID string is empty")
	}
	return &Client{h: life.Start(&clients, "pubsub", ctx), project: projectID}, nil
}

// Close releases the client. Closing twice is harmless.
func (c *Client) Close() error {
	c.h.Release()
	return nil
}

// Project returns the project ID of the client.
func (c *Client) Project() string { return c.project }

// PublishSettings control the batching of published messages.
type PublishSettings struct {
	DelayThreshold time.Duration
	CountThreshold int
	ByteThreshold  int
	NumGoroutines  int
	Timeout        time.Duration
}

// Topic is a reference to a topic. Once it has published, call Stop to
// release its goroutine.
type Topic struct {
	PublishSettings       PublishSettings
	EnableMessageOrdering bool

	c       *Client
	id      string
	mu      sync.Mutex
	h       *life.Handle
	stopped bool
}

// Topic returns a reference to the topic with the given ID.
func (c *Client) Topic(id string) *Topic { return &Topic{c: c, id: id} }

// CreateTopic creates the topic.
func (c *Client) CreateTopic(ctx context.Context, topicID string) (*Topic, error) {
	if err := c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	broker.Lock()
	defer broker.Unlock()
	if broker.topics[topicID] {
		return nil, fmt.Errorf("rpc error: code = AlreadyExists desc = Topic already exists: %s", topicID)
	}
	broker.topics[topicID] = true
	return c.Topic(topicID), nil
}

// ID returns the topic's ID.
func (t *Topic) ID() string { return t.id }

// String returns the topic's resource name.
func (t *Topic) String() string { return "projects/" + t.c.project + "/topics/" + t.id }

// Exists reports whether the topic exists.
func (t *Topic) Exists(ctx context.Context) (bool, error) {
	if err := t.c.h.Check(ctx, errClosed); err != nil {
		return false, err
	}
	broker.Lock()
	defer broker.Unlock()
	return broker.topics[t.id], nil
}

// Delete deletes the topic.
func (t *Topic) Delete(ctx context.Context) error {
	if err := t.c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	broker.Lock()
	defer broker.Unlock()
	delete(broker.topics, t.id)
	return nil
}

// Publish publishes msg to the topic and returns a result that is ready
// once the message is stored.
func (t *Topic) Publish(ctx context.Context, msg *Message) *PublishResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return NewPublishResult("", ErrTopicStopped)
	}
	if err := t.c.h.Check(ctx, errClosed); err != nil {
		return NewPublishResult("", err)
	}
	if t.h == nil {
		t.h = life.Start(&topics, "pubsub", nil)
	}
	broker.Lock()
	defer broker.Unlock()
	broker.topics[t.id] = true
	broker.nextID++
	id := strconv.Itoa(broker.nextID)
	for _, s := range broker.subs {
		if s.topic == t.id {
			s.push(&Message{ID: id, Data: append([]byte(nil), msg.Data...), Attributes: msg.Attributes,
				PublishTime: time.Now(), OrderingKey: msg.OrderingKey})
		}
	}
	return NewPublishResult(id, nil)
}

// Stop sends any remaining messages and stops the topic's goroutine. Publish
// fails after Stop. Stopping twice is harmless.
func (t *Topic) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.h != nil {
		t.h.Release()
	}
}

// Flush waits for outstanding messages to be sent (immediate here).
func (t *Topic) Flush() {}

// PublishResult holds the result of a Publish call.
type PublishResult struct {
	ready    chan struct{}
	serverID string
	err      error
}

// NewPublishResult returns a ready result. It is used by the stand-in for
// pubsublite; it is not part of the real package.
func NewPublishResult(serverID string, err error) *PublishResult {
	r := &PublishResult{ready: make(chan struct{}), serverID: serverID, err: err}
	close(r.ready)
	return r
}

// Ready returns a channel that is closed when the result is ready.
func (r *PublishResult) Ready() <-chan struct{} { return r.ready }

// Get blocks until the publish completes or ctx is done and returns the
// server-assigned message ID.
func (r *PublishResult) Get(ctx context.Context) (serverID string, err error) {
	select {
	case <-r.ready:
		return r.serverID, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Message is a Pub/Sub message.
type Message struct {
	ID              string
	Data            []byte
	Attributes      map[string]string
	PublishTime     time.Time
	DeliveryAttempt *int
	OrderingKey     string

	once sync.Once
	done func(ack bool)
}

// Ack acknowledges the message.
func (m *Message) Ack() { m.finish(true) }

// Nack asks for the message to be delivered again.
func (m *Message) Nack() { m.finish(false) }

func (m *Message) finish(ack bool) {
	m.once.Do(func() {
		if m.done != nil {
			m.done(ack)
		}
	})
}

// SubscriptionConfig describes a subscription.
type SubscriptionConfig struct {
	Topic       *Topic
	AckDeadline time.Duration
}

// ReceiveSettings control Receive.
type ReceiveSettings struct {
	MaxExtension           time.Duration
	MaxOutstandingMessages int
	MaxOutstandingBytes    int
	NumGoroutines          int
	Synchronous            bool
}

// Subscription is a reference to a subscription.
type Subscription struct {
	ReceiveSettings ReceiveSettings

	c         *Client
	id        string
	mu        sync.Mutex
	receiving bool
}

// Subscription returns a reference to the subscription with the given ID.
func (c *Client) Subscription(id string) *Subscription { return &Subscription{c: c, id: id} }

// CreateSubscription creates a subscription to cfg.Topic.
func (c *Client) CreateSubscription(ctx context.Context, id string, cfg SubscriptionConfig) (*Subscription, error) {
	if err := c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	if cfg.Topic == nil {
		return nil, errors.New("pubsub: require non-nil Topic")
	}
	broker.Lock()
	defer broker.Unlock()
	if _, ok := broker.subs[id]; ok {
		return nil, fmt.Errorf("rpc error: code = AlreadyExists desc = Subscription already exists: %s", id)
	}
	broker.topics[cfg.Topic.id] = true
	broker.subs[id] = &subState{topic: cfg.Topic.id, notify: make(chan struct{})}
	return c.Subscription(id), nil
}

// ID returns the subscription's ID.
func (s *Subscription) ID() string { return s.id }

// String returns the subscription's resource name.
func (s *Subscription) String() string {
	return "projects/" + s.c.project + "/subscriptions/" + s.id
}

// Exists reports whether the subscription exists.
func (s *Subscription) Exists(ctx context.Context) (bool, error) {
	if err := s.c.h.Check(ctx, errClosed); err != nil {
		return false, err
	}
	broker.Lock()
	defer broker.Unlock()
	_, ok := broker.subs[s.id]
	return ok, nil
}

// Delete deletes the subscription.
func (s *Subscription) Delete(ctx context.Context) error {
	if err := s.c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	broker.Lock()
	defer broker.Unlock()
	delete(broker.subs, s.id)
	return nil
}

// Receive calls f with each message of the subscription until ctx is done,
// then returns nil. It returns an error if the subscription does not exist
// or the client is closed. Only one Receive may run per Subscription.
func (s *Subscription) Receive(ctx context.Context, f func(context.Context, *Message)) error {
	s.mu.Lock()
	if s.receiving {
		s.mu.Unlock()
		return errors.New("pubsub: Receive already in progress for this subscription")
	}
	s.receiving = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.receiving = false
		s.mu.Unlock()
	}()
	h := life.Track(&receives, "pubsub", nil)
	defer h.Release()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := s.c.h.Check(ctx, errClosed); err != nil {
			return err
		}
		broker.Lock()
		st, ok := broker.subs[s.id]
		if !ok {
			broker.Unlock()
			return fmt.Errorf("rpc error: code = NotFound desc = Resource not found (resource=%s).", s.id)
		}
		if len(st.queue) == 0 {
			wait := st.notify
			broker.Unlock()
			select {
			case <-ctx.Done():
			case <-s.c.h.Done():
			case <-s.c.h.CreationDone():
			case <-wait:
			}
			continue
		}
		m := st.queue[0]
		st.queue = st.queue[1:]
		broker.Unlock()
		m.done = func(ack bool) {
			if !ack {
				broker.Lock()
				st.push(&Message{ID: m.ID, Data: m.Data, Attributes: m.Attributes, PublishTime: m.PublishTime, OrderingKey: m.OrderingKey})
				broker.Unlock()
			}
		}
		f(ctx, m)
	}
}
