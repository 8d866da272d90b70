// Package aws is a stand-in for the AWS SDK for Go v1's aws package: the
// Config a session is built from.
package aws

// Config says how a session reaches AWS.
type Config struct {
	Region *string
}

// String returns a pointer to s.
func String(s string) *string { return &s }

// StringValue returns the string p points to, or "".
func StringValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
