// Package selftest exercises the stand-in modules: construction, counters,
// release, goroutines returning to their baseline, and context handling.
// Run: GOFLAGS=-mod=mod GOPROXY=off go test ./...
package selftest
