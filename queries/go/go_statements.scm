; Goroutines: `go func() { ... }()`, `go worker(...)`, `go s.run(...)`.
; What each one runs and whether it can stop is decided in Rust
; (src/analysis/go/goroutines.rs and the goroutine rules).
(go_statement
  (call_expression
    function: (_) @callee) @call) @go
