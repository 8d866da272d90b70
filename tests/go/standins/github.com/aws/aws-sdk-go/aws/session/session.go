// Package session is a stand-in for the AWS SDK for Go v1's session package.
// Building a session resolves credentials and the region; it counts how
// many were built.
package session

import (
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go/aws"
)

var built atomic.Int64

// Constructed reports how many sessions were built.
func Constructed() int64 { return built.Load() }

// Session holds the resolved configuration.
type Session struct {
	Config aws.Config
}

// NewSession builds a session from the configs given, later ones winning.
func NewSession(cfgs ...*aws.Config) (*Session, error) {
	s := &Session{}
	for _, c := range cfgs {
		if c != nil && c.Region != nil {
			s.Config.Region = c.Region
		}
	}
	if s.Config.Region == nil {
		return nil, errors.New("session: no region")
	}
	built.Add(1)
	return s, nil
}

// Must panics when err is not nil, and returns s otherwise.
func Must(s *Session, err error) *Session {
	if err != nil {
		panic(err)
	}
	return s
}
