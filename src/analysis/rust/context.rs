//! Where blocking is harmful: code whose caller must not wait for a child
//! process to exit — a GUI event loop, a request handler, an async
//! function (a blocking wait stalls a runtime thread), a launcher that
//! hands a file or URL to another program.

use tree_sitter::Node;

use super::RustFile;
use super::syntax::{in_async_context, per_request_reason};

/// Crates that run a GUI event loop: waiting there freezes the window.
const GUI_CRATES: [&str; 19] = [
    "winit",
    "egui",
    "eframe",
    "gtk",
    "gtk4",
    "libadwaita",
    "iced",
    "tauri",
    "slint",
    "druid",
    "fltk",
    "relm4",
    "dioxus",
    "glutin",
    "sdl2",
    "wry",
    "tao",
    "gpui",
    "floem",
];

/// Programs that open a file or URL in another program and return (or,
/// on some desktops, keep running with it).
const OPENERS: [&str; 12] = [
    "xdg-open",
    "open",
    "explorer",
    "explorer.exe",
    "gio",
    "kde-open",
    "kde-open5",
    "gnome-open",
    "wslview",
    "sensible-browser",
    "x-www-browser",
    "start",
];

/// Why a synchronous wait for a child spawned at `at` (in `owner`) would
/// block a caller that must not block, if it would. `program` is the
/// command's program when the code names it with a string literal;
/// `async_child` is true for tokio children (awaiting them does not block
/// a thread).
pub fn waiting_blocks(
    file: &RustFile,
    owner: Node,
    at: Node,
    program: Option<&str>,
    async_child: bool,
) -> Option<String> {
    if let Some(p) = program {
        let base = p.rsplit(['/', '\\']).next().unwrap_or(p);
        if OPENERS.contains(&base) {
            return Some(format!(
                "`{base}` hands the file or URL to another program, and the caller should not wait for it"
            ));
        }
    }
    if let Some(gui) = GUI_CRATES.iter().find(|c| file.depends_on(c)) {
        return Some(format!(
            "the crate runs a GUI event loop (`{gui}`), which a wait would freeze"
        ));
    }
    if per_request_reason(file, owner).is_some() {
        return Some("it runs per request, which would wait for the child".into());
    }
    if !async_child && in_async_context(at, file.text()) {
        return Some(
            "it runs in an async context, where a blocking wait stalls the runtime".into(),
        );
    }
    None
}
