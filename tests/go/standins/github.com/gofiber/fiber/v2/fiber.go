// Package fiber is a stand-in for github.com/gofiber/fiber/v2. The real one
// runs on fasthttp; this one answers requests given to App.Test.
package fiber

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
)

// Ctx is the context of a request.
type Ctx struct {
	r      *http.Request
	status int
	body   bytes.Buffer
}

// UserContext returns the context of the request.
func (c *Ctx) UserContext() context.Context { return c.r.Context() }

// Query returns a query parameter.
func (c *Ctx) Query(key string, defaultValue ...string) string {
	if v := c.r.URL.Query().Get(key); v != "" {
		return v
	}
	if len(defaultValue) > 0 {
		return defaultValue[0]
	}
	return ""
}

// SendString sets the response body.
func (c *Ctx) SendString(s string) error {
	c.body.Reset()
	c.body.WriteString(s)
	return nil
}

// Handler handles a request.
type Handler = func(*Ctx) error

// App routes requests.
type App struct{ routes map[string]Handler }

// New returns an App.
func New() *App { return &App{routes: map[string]Handler{}} }

// Get registers a handler for GET requests to path.
func (a *App) Get(path string, handlers ...Handler) *App {
	a.routes[path] = handlers[len(handlers)-1]
	return a
}

// Test serves one request in process.
func (a *App) Test(req *http.Request, msTimeout ...int) (*http.Response, error) {
	c := &Ctx{r: req, status: http.StatusOK}
	h, ok := a.routes[req.URL.Path]
	if !ok {
		c.status = http.StatusNotFound
	} else if err := h(c); err != nil {
		c.status = http.StatusInternalServerError
		c.body.Reset()
		c.body.WriteString(err.Error())
	}
	return &http.Response{
		StatusCode: c.status,
		Body:       io.NopCloser(strings.NewReader(c.body.String())),
	}, nil
}
