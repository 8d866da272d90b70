; `let w = <path call>...;`: buffered writers and files bound to a local.
; The rule checks the constructor against the catalog and follows the local.
(let_declaration
  pattern: (_) @pattern
  value: (_) @value) @let
