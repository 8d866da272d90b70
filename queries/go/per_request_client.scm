; Candidate constructions: a single call on the right of `:=`, `=` or `var`.
; The rule keeps those whose callee the catalog marks `shareable` and that
; run per request (in a handler) or per iteration (in a loop body).

(short_var_declaration
  left: (expression_list) @lhs
  right: (expression_list . (call_expression) @call .)) @assign

(assignment_statement
  left: (expression_list) @lhs
  operator: "="
  right: (expression_list . (call_expression) @call .)) @assign

(var_spec
  value: (expression_list . (call_expression) @call .)) @assign

; A factory handing the client straight to its callers.
(return_statement
  (expression_list . (call_expression) @call .)) @assign

; HTTP transports and clients written as literals.
(short_var_declaration
  left: (expression_list) @lhs
  right: (expression_list . (unary_expression operand: (composite_literal)) @call .)) @assign

(assignment_statement
  left: (expression_list) @lhs
  operator: "="
  right: (expression_list . (unary_expression operand: (composite_literal)) @call .)) @assign

(var_spec
  value: (expression_list . (unary_expression operand: (composite_literal)) @call .)) @assign
