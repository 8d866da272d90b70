// Package pscompat is a stand-in for cloud.google.com/go/pubsublite/pscompat:
// Pub/Sub Lite publishing and receiving with cloud.google.com/go/pubsub
// message types.
//
// Stand-in behaviour: every PublisherClient holds one goroutine until Stop.
// Publisher and subscriber clients keep the context they were created with;
// once it is done their calls fail with "pubsublite: client creation context
// canceled". A subscription must be created with pubsublite.AdminClient
// before Receive. Ack and Nack are no-ops.
package pscompat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"cloud.google.com/go/pubsub"
	"cloud.google.com/go/pubsublite/internal/broker"
	"google.golang.org/api/option"
	"standins.test/shared/life"
)

// ErrPublisherStopped is the error a Publish result gets after Stop.
var ErrPublisherStopped = errors.New("pubsublite: publisher has stopped")

var publishers, receives life.Counter

// OpenClients reports how many PublisherClients are built and not stopped.
func OpenClients() int64 { return publishers.Open() }

// Constructed reports how many PublisherClients have been built.
func Constructed() int64 { return publishers.Made() }

// ActiveReceives reports how many SubscriberClient.Receive calls are running.
func ActiveReceives() int64 { return receives.Open() }

var (
	topicPath = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/topics/[^/]+$`)
	subPath   = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/subscriptions/[^/]+$`)
)

// PublisherClient publishes messages to a Pub/Sub Lite topic. Call Stop when
// done with it.
type PublisherClient struct {
	h     *life.Handle
	topic string
	mu    sync.Mutex
}

// NewPublisherClient creates a publisher for topic
// ("projects/P/locations/L/topics/T").
func NewPublisherClient(ctx context.Context, topic string, opts ...option.ClientOption) (*PublisherClient, error) {
	if err := life.Dial(ctx, "pubsublite"); err != nil {
		return nil, err
	}
	if !topicPath.MatchString(topic) {
		return nil, fmt.Errorf("pubsublite: invalid topic path %q", topic)
	}
	return &PublisherClient{h: life.Start(&publishers, "pubsublite", ctx), topic: topic}, nil
}

// Publish publishes msg and returns a result that is ready once it is stored.
func (p *PublisherClient) Publish(ctx context.Context, msg *pubsub.Message) *pubsub.PublishResult {
	if err := p.h.Check(ctx, ErrPublisherStopped); err != nil {
		return pubsub.NewPublishResult("", err)
	}
	return pubsub.NewPublishResult(broker.Publish(p.topic, msg), nil)
}

// Stop flushes and stops the publisher. Stopping twice is harmless.
func (p *PublisherClient) Stop() { p.h.Release() }

// Error returns the error that stopped the publisher, if any.
func (p *PublisherClient) Error() error { return nil }

// SubscriberClient receives messages from a Pub/Sub Lite subscription. It
// holds no resources outside Receive.
type SubscriberClient struct {
	created      context.Context
	subscription string
}

// NewSubscriberClient creates a subscriber for subscription
// ("projects/P/locations/L/subscriptions/S").
func NewSubscriberClient(ctx context.Context, subscription string, opts ...option.ClientOption) (*SubscriberClient, error) {
	if err := life.Dial(ctx, "pubsublite"); err != nil {
		return nil, err
	}
	if !subPath.MatchString(subscription) {
		return nil, fmt.Errorf("pubsublite: invalid subscription path %q", subscription)
	}
	return &SubscriberClient{created: ctx, subscription: subscription}, nil
}

// Receive calls f with each message until ctx is done, then returns nil.
func (s *SubscriberClient) Receive(ctx context.Context, f func(context.Context, *pubsub.Message)) error {
	h := life.Track(&receives, "pubsublite", nil)
	defer h.Release()
	for ctx.Err() == nil {
		if err := s.created.Err(); err != nil {
			return fmt.Errorf("pubsublite: %w: %w", life.ErrCreationCanceled, context.Cause(s.created))
		}
		m, err := broker.Next(ctx, s.subscription, s.created.Done())
		if err != nil {
			return err
		}
		if m != nil {
			f(ctx, m)
		}
	}
	return nil
}
