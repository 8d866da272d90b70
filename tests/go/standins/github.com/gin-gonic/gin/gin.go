// Package gin is a stand-in for github.com/gin-gonic/gin: routes on a
// net/http mux, and a Context that is also a context.Context.
package gin

import (
	"fmt"
	"net/http"
	"time"
)

// HandlerFunc handles a request.
type HandlerFunc func(*Context)

// Context carries the request and the response writer.
type Context struct {
	Request *http.Request
	Writer  http.ResponseWriter
}

// Deadline, Done, Err and Value make Context a context.Context (the request's).
func (c *Context) Deadline() (time.Time, bool)       { return c.Request.Context().Deadline() }
func (c *Context) Done() <-chan struct{}             { return c.Request.Context().Done() }
func (c *Context) Err() error                        { return c.Request.Context().Err() }
func (c *Context) Value(key interface{}) interface{} { return c.Request.Context().Value(key) }

// Query returns a query parameter.
func (c *Context) Query(key string) string { return c.Request.URL.Query().Get(key) }

// String writes a formatted response.
func (c *Context) String(code int, format string, values ...interface{}) {
	c.Writer.WriteHeader(code)
	fmt.Fprintf(c.Writer, format, values...)
}

// Engine routes requests.
type Engine struct{ mux *http.ServeMux }

// New returns an engine without middleware.
func New() *Engine { return &Engine{mux: http.NewServeMux()} }

// GET registers a handler for GET requests to path.
func (e *Engine) GET(path string, handlers ...HandlerFunc) {
	e.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		c := &Context{Request: r, Writer: w}
		for _, h := range handlers {
			h(c)
		}
	})
}

// ServeHTTP makes the engine an http.Handler.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }
