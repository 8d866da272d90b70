//! Rust: helpers over tree-sitter-rust nodes shared by the Rust analysis and rules.
