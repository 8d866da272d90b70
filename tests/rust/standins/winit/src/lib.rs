//! Stand-in for winit: a crate that depends on it runs a GUI event loop,
//! which is all leakfix looks at.

/// What an event handler is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    KeyPressed(char),
}
