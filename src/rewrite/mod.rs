//! Building edits that rules share: code that writes code (adding an import
//! the gofmt way, indenting inserted statements). Rules decide *what* to
//! change; these helpers know how to say it in each language's style.

pub mod go;
pub mod js;
pub mod rust;
