// Package aws is a stand-in for the AWS SDK for Go v2's aws package.
package aws

// Config is what service clients are built from.
type Config struct {
	Region string
}
