// Package pubsublite is a stand-in for cloud.google.com/go/pubsublite: the
// admin client. Publishing and receiving are in package pscompat.
//
// Stand-in behaviour: every live AdminClient holds one goroutine; it keeps
// the context it was created with, and once that context is done its calls
// fail with "pubsublite: client creation context canceled".
package pubsublite

import (
	"context"
	"errors"
	"time"

	"cloud.google.com/go/pubsublite/internal/broker"
	"google.golang.org/api/option"
	"standins.test/shared/life"
)

var errClosed = errors.New("pubsublite: admin client is closed")

var admins life.Counter

// OpenClients reports how many AdminClients are built and not yet closed.
func OpenClients() int64 { return admins.Open() }

// Constructed reports how many AdminClients NewAdminClient has built.
func Constructed() int64 { return admins.Made() }

// AdminClient manages Pub/Sub Lite topics and subscriptions.
type AdminClient struct {
	h *life.Handle
}

// NewAdminClient creates an admin client for the region.
func NewAdminClient(ctx context.Context, region string, opts ...option.ClientOption) (*AdminClient, error) {
	if err := life.Dial(ctx, "pubsublite"); err != nil {
		return nil, err
	}
	return &AdminClient{h: life.Start(&admins, "pubsublite", ctx)}, nil
}

// Close releases the client. Closing twice is harmless.
func (ac *AdminClient) Close() error {
	ac.h.Release()
	return nil
}

// TopicConfig describes a topic.
type TopicConfig struct {
	Name                       string
	PartitionCount             int
	PublishCapacityMiBPerSec   int
	SubscribeCapacityMiBPerSec int
	PerPartitionBytes          int64
	RetentionDuration          time.Duration
	ThroughputReservation      string
}

// DeliveryRequirement says when messages are delivered to subscribers.
type DeliveryRequirement int

// The delivery requirements.
const (
	UnspecifiedDeliveryRequirement DeliveryRequirement = iota
	DeliverImmediately
	DeliverAfterStored
)

// SubscriptionConfig describes a subscription.
type SubscriptionConfig struct {
	Name                string
	Topic               string
	DeliveryRequirement DeliveryRequirement
}

// CreateSubscriptionOption is an option for CreateSubscription.
type CreateSubscriptionOption interface{ createSubscriptionOption() }

// CreateTopic creates a topic.
func (ac *AdminClient) CreateTopic(ctx context.Context, config TopicConfig) (*TopicConfig, error) {
	if err := ac.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	if err := broker.CreateTopic(config.Name); err != nil {
		return nil, err
	}
	return &config, nil
}

// CreateSubscription creates a subscription.
func (ac *AdminClient) CreateSubscription(ctx context.Context, config SubscriptionConfig, opts ...CreateSubscriptionOption) (*SubscriptionConfig, error) {
	if err := ac.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	if err := broker.CreateSubscription(config.Name, config.Topic); err != nil {
		return nil, err
	}
	return &config, nil
}
