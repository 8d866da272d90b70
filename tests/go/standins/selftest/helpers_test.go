package selftest

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// goroutineBaseline returns a func that waits until the number of
// goroutines is back to what it is now, and fails the test if it is not.
func goroutineBaseline(t *testing.T) func() {
	t.Helper()
	base := runtime.NumGoroutine()
	return func() {
		t.Helper()
		waitGoroutines(t, base)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:n])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wantMore fails unless the goroutine count is above base.
func wantMoreGoroutines(t *testing.T, base int) {
	t.Helper()
	if n := runtime.NumGoroutine(); n <= base {
		t.Fatalf("%d goroutines with a live resource, want more than %d", n, base)
	}
}

func wantCount(t *testing.T, name string, got, want int64) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %d, want %d", name, got, want)
	}
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("error = %v, want one containing %q", err, substr)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// since returns a func that reports how much f has grown since now. The
// stand-ins' counters are process-wide, so tests compare differences.
func since(f func() int64) func() int64 {
	base := f()
	return func() int64 { return f() - base }
}

var uniqN atomic.Int64

// uniq returns a name no other test run in this process has used: the
// stand-ins' stores are process-wide too.
func uniq(name string) string {
	return fmt.Sprintf("%s-%d", name, uniqN.Add(1))
}
