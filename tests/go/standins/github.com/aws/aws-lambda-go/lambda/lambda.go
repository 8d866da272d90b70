// Package lambda is a stand-in for github.com/aws/aws-lambda-go/lambda:
// Start records the handler instead of serving invocations.
package lambda

var handler interface{}

// Start registers the function that handles invocations.
func Start(h interface{}) { handler = h }

// Handler returns what Start registered.
func Handler() interface{} { return handler }
