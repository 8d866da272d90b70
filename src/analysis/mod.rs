//! Language analyses: scopes, assignments, uses, escapes, types. Rules ask
//! these questions; they do not walk syntax trees for facts themselves.

pub mod anchor;
pub mod go;
pub mod inputs;
pub mod js;
pub mod rust;
