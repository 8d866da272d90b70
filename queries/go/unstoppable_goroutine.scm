; Goroutines: `go func() { ... }()`, `go worker(...)`, `go s.run(...)`.
; Whether the goroutine can ever stop is decided in Rust
; (src/rules/go_unstoppable_goroutine.rs).
(go_statement
  (call_expression
    function: (_) @callee) @call) @go
