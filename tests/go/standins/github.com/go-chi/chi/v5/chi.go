// Package chi is a stand-in for github.com/go-chi/chi/v5: net/http handlers.
package chi

import "net/http"

// Router registers net/http handlers.
type Router interface {
	http.Handler
	Get(pattern string, h http.HandlerFunc)
}

// Mux is a Router.
type Mux struct{ mux *http.ServeMux }

// NewRouter returns a Mux.
func NewRouter() *Mux { return &Mux{mux: http.NewServeMux()} }

// Get registers h for GET requests to pattern.
func (m *Mux) Get(pattern string, h http.HandlerFunc) { m.mux.HandleFunc(pattern, h) }

// ServeHTTP makes the Mux an http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }
