package selftest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
)

// The scenario leakfix's runtime tests are built for: a handler that builds
// a client per request leaks it; hoisting the client into a lazily built
// package-level accessor fixes the leak only if the client is built with a
// context that outlives the request.

func seedObject(t *testing.T, bucket string) {
	c, err := storage.NewClient(context.Background())
	must(t, err)
	defer c.Close()
	w := c.Bucket(bucket).Object("o").NewWriter(context.Background())
	_, err = io.WriteString(w, "data")
	must(t, err)
	must(t, w.Close())
}

func serve(t *testing.T, h http.HandlerFunc, n int) []string {
	t.Helper()
	var bodies []string
	for i := 0; i < n; i++ {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest("GET", "/", nil))
		bodies = append(bodies, strings.TrimSpace(rec.Body.String()))
	}
	return bodies
}

func readObject(ctx context.Context, c *storage.Client, bucket string, w http.ResponseWriter) {
	rc, err := c.Bucket(bucket).Object("o").NewReader(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rc.Close()
	io.Copy(w, rc)
}

func TestHoistingScenario(t *testing.T) {
	bucket := uniq("scenario")
	seedObject(t, bucket)

	// Before: a client per request, never closed.
	open := since(storage.OpenClients)
	leaky := func(w http.ResponseWriter, r *http.Request) {
		c, err := storage.NewClient(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		readObject(r.Context(), c, bucket, w)
	}
	if got := serve(t, leaky, 3); got[2] != "data" {
		t.Fatalf("leaky handler: %q", got)
	}
	wantCount(t, "leaked clients", open(), 3)

	// A hoisted client built with the first request's context breaks once
	// that request is over.
	var once sync.Once
	var shared *storage.Client
	badHoist := func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context()) // ends with the request
		defer cancel()
		once.Do(func() { shared, _ = storage.NewClient(ctx) })
		readObject(ctx, shared, bucket, w)
	}
	got := serve(t, badHoist, 2)
	if got[0] != "data" || !strings.Contains(got[1], "client creation context canceled") {
		t.Fatalf("hoisted with request context: %q", got)
	}
	shared.Close()

	// The right fix: built once with a context that is not request-scoped.
	var goodOnce sync.Once
	var good *storage.Client
	goodHoist := func(w http.ResponseWriter, r *http.Request) {
		goodOnce.Do(func() { good, _ = storage.NewClient(context.Background()) })
		readObject(r.Context(), good, bucket, w)
	}
	open = since(storage.OpenClients)
	if got := serve(t, goodHoist, 3); got[0] != "data" || got[2] != "data" {
		t.Fatalf("hoisted with background context: %q", got)
	}
	wantCount(t, "clients after hoisting", open(), 1)
	good.Close()
}
