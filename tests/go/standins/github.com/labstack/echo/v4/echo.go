// Package echo is a stand-in for github.com/labstack/echo/v4.
package echo

import (
	"fmt"
	"net/http"
)

// Context is the request context of a handler.
type Context interface {
	Request() *http.Request
	QueryParam(name string) string
	String(code int, s string) error
}

// HandlerFunc handles a request.
type HandlerFunc func(Context) error

// MiddlewareFunc wraps a handler.
type MiddlewareFunc func(HandlerFunc) HandlerFunc

type ctx struct {
	r *http.Request
	w http.ResponseWriter
}

func (c *ctx) Request() *http.Request        { return c.r }
func (c *ctx) QueryParam(name string) string { return c.r.URL.Query().Get(name) }
func (c *ctx) String(code int, s string) error {
	c.w.WriteHeader(code)
	_, err := fmt.Fprint(c.w, s)
	return err
}

// Echo routes requests.
type Echo struct{ mux *http.ServeMux }

// New returns an Echo.
func New() *Echo { return &Echo{mux: http.NewServeMux()} }

// GET registers a handler for GET requests to path.
func (e *Echo) GET(path string, h HandlerFunc, m ...MiddlewareFunc) {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	e.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if err := h(&ctx{r: r, w: w}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

// ServeHTTP makes Echo an http.Handler.
func (e *Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }
