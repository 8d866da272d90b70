//! How the crate's code is laid out: the rustfmt settings that decide what
//! text leakfix may write (`rustfmt.toml` or `.rustfmt.toml` found upwards
//! from the crate's manifest, and the crate's edition, which `cargo fmt`
//! passes to rustfmt). Settings leakfix cannot reproduce are kept so that
//! fixes can decline rather than write code rustfmt would change.

use std::path::Path;

use toml::Value;

/// How rustfmt groups `use` declarations (`imports_granularity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Granularity {
    /// `Preserve` (the default) or `Item`: one `use` per line is kept as it is.
    #[default]
    Preserve,
    /// One `use` per module: `use std::sync::{Arc, OnceLock};`.
    Module,
    /// One `use` per crate (`Crate`) or one for everything (`One`): nested trees.
    Crate,
}

/// How rustfmt orders `use` groups (`group_imports`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Grouping {
    /// Groups separated by blank lines are kept; each is sorted.
    #[default]
    Preserve,
    /// std/core/alloc, then external crates, then `self`/`super`/`crate`.
    StdExternalCrate,
    /// Everything in one group.
    One,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustfmtStyle {
    pub max_width: usize,
    /// Widths of the small heuristics (`use_small_heuristics`).
    pub chain_width: usize,
    pub fn_call_width: usize,
    /// The widest field list a struct literal keeps on one line.
    pub struct_lit_width: usize,
    /// Spaces per indentation level.
    pub tab_spaces: usize,
    pub hard_tabs: bool,
    /// The 2024 style edition: `use` lists are version-sorted (uppercase
    /// before lowercase); older editions put lowercase names first.
    pub style_2024: bool,
    pub reorder_imports: bool,
    pub granularity: Granularity,
    pub grouping: Grouping,
}

impl Default for RustfmtStyle {
    fn default() -> Self {
        RustfmtStyle::from_settings(None, None)
    }
}

impl RustfmtStyle {
    /// The style for a crate of `edition` with the rustfmt.toml `config`.
    pub fn from_settings(config: Option<&toml::Table>, edition: Option<&str>) -> RustfmtStyle {
        let get = |k: &str| config.and_then(|c| c.get(k));
        let int = |k: &str| get(k).and_then(Value::as_integer).map(|v| v as usize);
        let string = |k: &str| get(k).and_then(Value::as_str);
        let max_width = int("max_width").unwrap_or(100);
        let heuristics = string("use_small_heuristics").unwrap_or("Default");
        // rustfmt's `WidthHeuristics::scaled`: the defaults grow with a
        // max_width above 100 (by the ratio rounded to a tenth), never shrink.
        let ratio = if max_width > 100 {
            (max_width as f64 / 100.0 * 10.0).round() / 10.0
        } else {
            1.0
        };
        let scaled = |default: usize| match heuristics {
            "Max" | "Off" => max_width,
            _ => (default as f64 * ratio).round() as usize,
        };
        let style_edition = string("style_edition")
            .or_else(|| (string("version") == Some("Two")).then_some("2024"))
            .or_else(|| string("edition"))
            .or(edition)
            .unwrap_or("2015");
        RustfmtStyle {
            max_width,
            chain_width: int("chain_width").unwrap_or(scaled(60)),
            fn_call_width: int("fn_call_width").unwrap_or(scaled(60)),
            struct_lit_width: int("struct_lit_width").unwrap_or(scaled(18)),
            tab_spaces: int("tab_spaces").unwrap_or(4),
            hard_tabs: get("hard_tabs").and_then(Value::as_bool).unwrap_or(false),
            style_2024: style_edition >= "2024",
            reorder_imports: get("reorder_imports")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            granularity: match string("imports_granularity") {
                Some("Module") => Granularity::Module,
                Some("Crate") | Some("One") => Granularity::Crate,
                _ => Granularity::Preserve,
            },
            grouping: match string("group_imports") {
                Some("StdExternalCrate") => Grouping::StdExternalCrate,
                Some("One") => Grouping::One,
                _ => Grouping::Preserve,
            },
        }
    }

    /// The style for a crate whose manifest is in `dir`: the nearest
    /// `rustfmt.toml` or `.rustfmt.toml` in `dir` or above it.
    pub fn find(dir: &Path, edition: Option<&str>) -> RustfmtStyle {
        let mut d = Some(dir);
        while let Some(cur) = d {
            for name in ["rustfmt.toml", ".rustfmt.toml"] {
                if let Ok(text) = std::fs::read_to_string(cur.join(name)) {
                    let table = text.parse::<toml::Table>().ok();
                    return RustfmtStyle::from_settings(table.as_ref(), edition);
                }
            }
            d = cur.parent();
        }
        RustfmtStyle::from_settings(None, edition)
    }

    /// One level of indentation.
    pub fn indent_unit(&self) -> String {
        " ".repeat(self.tab_spaces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_defaults() {
        let d = RustfmtStyle::from_settings(None, Some("2021"));
        assert_eq!((d.max_width, d.chain_width, d.fn_call_width), (100, 60, 60));
        assert!(!d.style_2024);
        let t: toml::Table = "max_width = 120\nuse_small_heuristics = \"Max\"\ntab_spaces = 2\nimports_granularity = \"Crate\"\ngroup_imports = \"StdExternalCrate\"\nstyle_edition = \"2024\"\n"
            .parse()
            .unwrap();
        let s = RustfmtStyle::from_settings(Some(&t), Some("2021"));
        assert_eq!((s.max_width, s.chain_width, s.tab_spaces), (120, 120, 2));
        assert!(s.style_2024);
        assert_eq!(s.granularity, Granularity::Crate);
        assert_eq!(s.grouping, Grouping::StdExternalCrate);
        let t: toml::Table = "max_width = 80\n".parse().unwrap();
        let s = RustfmtStyle::from_settings(Some(&t), Some("2024"));
        assert_eq!((s.chain_width, s.fn_call_width), (60, 60));
        assert!(s.style_2024);
        let t: toml::Table = "max_width = 120\n".parse().unwrap();
        let s = RustfmtStyle::from_settings(Some(&t), None);
        assert_eq!((s.chain_width, s.fn_call_width), (72, 72));
        assert!(!s.style_2024);
    }
}
