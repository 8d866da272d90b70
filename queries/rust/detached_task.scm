; Calls of a function named `spawn`: `tokio::spawn(..)`, `thread::spawn(..)`,
; `spawn(..)` under `use tokio::spawn;`. Whether the path is a catalog task
; spawner (after `use` resolution) is decided in Rust.
(call_expression
  function: [
    (scoped_identifier name: (identifier) @name)
    (identifier) @name
  ]
  (#match? @name "^spawn(_local)?$")
  arguments: (arguments)) @call
