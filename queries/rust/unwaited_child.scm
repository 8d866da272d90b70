; `.spawn()` calls; the rule checks that the receiver is a process builder
; (`std::process::Command`, `tokio::process::Command`) and follows the Child.
(call_expression
  function: (field_expression
    field: (field_identifier) @method (#eq? @method "spawn"))
  arguments: (arguments)) @call
