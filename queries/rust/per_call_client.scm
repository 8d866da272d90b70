; Calls of a path: `reqwest::Client::new()`, `Client::builder()`,
; `redis::Client::open(url)`. Whether the path is a catalog constructor
; (after `use` resolution), and whether its chain ends in a finishing call,
; is decided in Rust.
(call_expression
  function: (scoped_identifier) @path) @call
