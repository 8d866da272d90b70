// Package config is a stand-in for the AWS SDK for Go v2's config package:
// loading the default config reads files and resolves credentials; it
// counts the loads.
package config

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var loads atomic.Int64

// Loaded reports how many configs were loaded.
func Loaded() int64 { return loads.Load() }

// LoadOptions are the options of LoadDefaultConfig.
type LoadOptions struct {
	Region string
}

// WithRegion sets the region.
func WithRegion(r string) func(*LoadOptions) error {
	return func(o *LoadOptions) error {
		o.Region = r
		return nil
	}
}

// LoadDefaultConfig loads the shared configuration.
func LoadDefaultConfig(ctx context.Context, optFns ...func(*LoadOptions) error) (aws.Config, error) {
	if err := ctx.Err(); err != nil {
		return aws.Config{}, err
	}
	var o LoadOptions
	for _, f := range optFns {
		if err := f(&o); err != nil {
			return aws.Config{}, err
		}
	}
	loads.Add(1)
	return aws.Config{Region: o.Region}, nil
}
