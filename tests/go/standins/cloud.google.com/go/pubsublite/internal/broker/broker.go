// Package broker is the in-memory Pub/Sub Lite service shared by the
// stand-in pubsublite and pscompat packages.
package broker

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"cloud.google.com/go/pubsub"
)

type sub struct {
	topic  string
	queue  []*pubsub.Message
	notify chan struct{} // closed and replaced when the queue grows
}

var (
	mu     sync.Mutex
	topics = map[string]bool{}
	subs   = map[string]*sub{}
	nextID int
)

// CreateTopic creates a topic.
func CreateTopic(name string) error {
	mu.Lock()
	defer mu.Unlock()
	if topics[name] {
		return fmt.Errorf("rpc error: code = AlreadyExists desc = topic %s already exists", name)
	}
	topics[name] = true
	return nil
}

// CreateSubscription creates a subscription to topic.
func CreateSubscription(name, topic string) error {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := subs[name]; ok {
		return fmt.Errorf("rpc error: code = AlreadyExists desc = subscription %s already exists", name)
	}
	subs[name] = &sub{topic: topic, notify: make(chan struct{})}
	return nil
}

// Publish queues a copy of m on every subscription of topic and returns its
// message ID.
func Publish(topic string, m *pubsub.Message) string {
	mu.Lock()
	defer mu.Unlock()
	nextID++
	id := strconv.Itoa(nextID)
	for _, s := range subs {
		if s.topic == topic {
			s.queue = append(s.queue, &pubsub.Message{ID: id, Data: append([]byte(nil), m.Data...),
				Attributes: m.Attributes, OrderingKey: m.OrderingKey, PublishTime: time.Now()})
			close(s.notify)
			s.notify = make(chan struct{})
		}
	}
	return id
}

// Next waits for the next message of subscription name. It returns nil, nil
// when ctx or stop is done first.
func Next(ctx context.Context, name string, stop <-chan struct{}) (*pubsub.Message, error) {
	for {
		mu.Lock()
		s, ok := subs[name]
		if !ok {
			mu.Unlock()
			return nil, fmt.Errorf("rpc error: code = NotFound desc = subscription %s not found", name)
		}
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue = s.queue[1:]
			mu.Unlock()
			return m, nil
		}
		wait := s.notify
		mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, nil
		case <-stop:
			return nil, nil
		case <-wait:
		}
	}
}
