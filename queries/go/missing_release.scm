; Candidate acquisitions: a single call on the right of `:=`, `=` or `var`.
; The rule looks the callee up in the catalog and follows the variable.

(short_var_declaration
  left: (expression_list) @lhs
  right: (expression_list . (call_expression) @call .)) @assign

(assignment_statement
  left: (expression_list) @lhs
  operator: "="
  right: (expression_list . (call_expression) @call .)) @assign

(var_spec
  value: (expression_list . (call_expression) @call .)) @assign
