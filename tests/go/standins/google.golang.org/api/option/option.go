// Package option is a stand-in for google.golang.org/api/option: the options
// Google Cloud client constructors take. The stand-in clients accept and
// ignore them.
package option

import "net/http"

// A ClientOption is an option for a Google API client.
type ClientOption interface {
	applyClientOption()
}

type opt struct {
	name  string
	value any
}

func (opt) applyClientOption() {}

// WithCredentialsFile returns a ClientOption that authenticates with the
// given service account or refresh token JSON credentials file.
func WithCredentialsFile(filename string) ClientOption { return opt{"credentials-file", filename} }

// WithCredentialsJSON returns a ClientOption that authenticates with the
// given JSON credentials.
func WithCredentialsJSON(p []byte) ClientOption { return opt{"credentials-json", p} }

// WithEndpoint returns a ClientOption that overrides the service endpoint.
func WithEndpoint(url string) ClientOption { return opt{"endpoint", url} }

// WithAPIKey returns a ClientOption that uses the given API key.
func WithAPIKey(apiKey string) ClientOption { return opt{"api-key", apiKey} }

// WithoutAuthentication returns a ClientOption that disables authentication.
func WithoutAuthentication() ClientOption { return opt{"no-auth", true} }

// WithHTTPClient returns a ClientOption that uses the given HTTP client.
func WithHTTPClient(client *http.Client) ClientOption { return opt{"http-client", client} }

// WithUserAgent returns a ClientOption that sets the User-Agent.
func WithUserAgent(ua string) ClientOption { return opt{"user-agent", ua} }

// WithScopes returns a ClientOption that overrides the OAuth2 scopes.
func WithScopes(scope ...string) ClientOption { return opt{"scopes", scope} }

// WithQuotaProject returns a ClientOption that sets the quota project.
func WithQuotaProject(quotaProject string) ClientOption { return opt{"quota-project", quotaProject} }
