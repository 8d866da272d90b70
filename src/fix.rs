//! Fixes are data: a set of text edits plus how safe it is to apply them.
//! Rules build them; only `apply` turns them into new file contents.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// How much a fix may change what the program does. Ordered: a fix is applied
/// when its applicability is at least the one the run asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown to people, never applied automatically.
    DisplayOnly,
    /// Changes structure or lifetimes: applied by `fix --unsafe` or `--review`.
    Unsafe,
    /// Only releases what leaked: applied by `fix`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// Replace `range` of the file at `path` with `content`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    path: Arc<Path>,
    range: Range<usize>,
    content: String,
}

impl Edit {
    pub fn insertion(path: Arc<Path>, at: usize, content: impl Into<String>) -> Self {
        Edit {
            path,
            range: at..at,
            content: content.into(),
        }
    }

    pub fn deletion(path: Arc<Path>, range: Range<usize>) -> Self {
        Edit {
            path,
            range,
            content: String::new(),
        }
    }

    pub fn replacement(path: Arc<Path>, range: Range<usize>, content: impl Into<String>) -> Self {
        Edit {
            path,
            range,
            content: content.into(),
        }
    }

    pub fn path(&self) -> &Arc<Path> {
        &self.path
    }

    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    pub fn start(&self) -> usize {
        self.range.start
    }

    pub fn end(&self) -> usize {
        self.range.end
    }

    pub fn content(&self) -> &str {
        &self.content
    }

    pub fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// Two edits conflict when applying one moves or destroys text the other
    /// relies on. Identical edits never conflict: the second is a no-op
    /// (two fixes that add the same import or the same shared declaration).
    pub fn conflicts_with(&self, other: &Edit) -> bool {
        if self.path != other.path || self == other {
            return false;
        }
        let (a, b) = (&self.range, &other.range);
        if a.is_empty() && b.is_empty() {
            // Two different insertions at one point: their order would be a guess.
            return a.start == b.start;
        }
        if a.is_empty() {
            return b.start < a.start && a.start < b.end;
        }
        if b.is_empty() {
            return a.start < b.start && b.start < a.end;
        }
        a.start < b.end && b.start < a.end
    }
}

/// A fix: the edits that together resolve one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    applicability: Applicability,
    /// Imperative, one line: "insert `defer client.Close()` after the error check".
    title: String,
    edits: Vec<Edit>,
    /// Code the fix relies on staying as it is, without editing it: two fixes
    /// for the same constructor call (close it here, or hoist it) claim the
    /// call, so they conflict and only one is applied.
    claims: Vec<(Arc<Path>, Range<usize>)>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(Applicability::Safe, title, edits)
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(Applicability::Unsafe, title, edits)
    }

    pub fn new(
        applicability: Applicability,
        title: impl Into<String>,
        mut edits: Vec<Edit>,
    ) -> Self {
        edits.sort_by(|a, b| (a.path(), a.start(), a.end()).cmp(&(b.path(), b.start(), b.end())));
        edits.dedup();
        Fix {
            applicability,
            title: title.into(),
            edits,
            claims: Vec::new(),
        }
    }

    /// The same fix with more edits (those a rule finds at a function's
    /// callers in other packages, see `crate::engine::callers`), kept in order.
    pub fn with_edits(mut self, edits: impl IntoIterator<Item = Edit>) -> Self {
        self.edits.extend(edits);
        self.edits
            .sort_by(|a, b| (a.path(), a.start(), a.end()).cmp(&(b.path(), b.start(), b.end())));
        self.edits.dedup();
        self
    }

    /// Do two of this fix's own edits overlap (so that it cannot be spliced)?
    pub fn has_overlapping_edits(&self) -> bool {
        self.edits
            .iter()
            .enumerate()
            .any(|(i, a)| self.edits[i + 1..].iter().any(|b| a.conflicts_with(b)))
    }

    /// Marks `range` of `path` as something this fix depends on (see `claims`).
    pub fn with_claim(mut self, path: Arc<Path>, range: Range<usize>) -> Self {
        self.claims.push((path, range));
        self
    }

    pub fn applicability(&self) -> Applicability {
        self.applicability
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Code the fix relies on without editing it (see `with_claim`).
    pub fn claims(&self) -> &[(Arc<Path>, Range<usize>)] {
        &self.claims
    }

    /// Every file the fix touches, in order.
    pub fn paths(&self) -> Vec<&Arc<Path>> {
        let mut paths: Vec<_> = self.edits.iter().map(Edit::path).collect();
        paths.dedup();
        paths
    }

    pub fn conflicts_with(&self, other: &Fix) -> bool {
        let overlaps =
            |(p, r): &(Arc<Path>, Range<usize>), path: &Arc<Path>, range: &Range<usize>| {
                p == path
                    && r.start < range.end.max(range.start + 1)
                    && range.start < r.end.max(r.start + 1)
            };
        self.edits
            .iter()
            .any(|a| other.edits.iter().any(|b| a.conflicts_with(b)))
            || self.claims.iter().any(|c| {
                other.claims.iter().any(|(p, r)| overlaps(c, p, r))
                    || other
                        .edits
                        .iter()
                        .any(|e| overlaps(c, e.path(), &e.range()))
            })
            || other
                .claims
                .iter()
                .any(|c| self.edits.iter().any(|e| overlaps(c, e.path(), &e.range())))
    }
}

impl Fix {
    /// This fix moved onto the text that results from splicing `applied` into
    /// the text it was made for (`applied`: the edits of fixes accepted since,
    /// each once). Edits identical to an applied one are already in the text
    /// and are dropped. `None` when the fix conflicts with `applied` (it must
    /// be re-computed on the new text, never shifted blindly).
    pub fn rebase(&self, applied: &[Edit]) -> Option<Fix> {
        let mut edits = Vec::with_capacity(self.edits.len());
        for e in &self.edits {
            if applied.contains(e) {
                continue;
            }
            if applied.iter().any(|a| a.conflicts_with(e)) {
                return None;
            }
            // Text inserted where a replacement starts lands before it
            // (`apply::splice` orders an insertion first at equal offsets).
            let start = shift(&e.path, e.start(), applied, !e.is_insertion());
            edits.push(Edit {
                path: e.path.clone(),
                range: start..start + e.range.len(),
                content: e.content.clone(),
            });
        }
        let mut claims = Vec::with_capacity(self.claims.len());
        for (path, range) in &self.claims {
            claims.push((path.clone(), shift_range(path, range.clone(), applied)?));
        }
        Some(Fix {
            applicability: self.applicability,
            title: self.title.clone(),
            edits,
            claims,
        })
    }
}

/// Where `range` of a file lands once `applied` is spliced into it; `None`
/// when an applied edit touches the code inside it (the code was rewritten).
pub fn shift_range(path: &Path, range: Range<usize>, applied: &[Edit]) -> Option<Range<usize>> {
    let touched = applied.iter().any(|e| {
        *e.path == *path
            && if e.is_insertion() {
                range.start < e.start() && e.start() < range.end
            } else {
                e.start() < range.end.max(range.start + 1) && range.start < e.end()
            }
    });
    if touched {
        return None;
    }
    let start = shift(path, range.start, applied, true);
    Some(start..start + range.len())
}

/// Where `offset` lands once `applied` is spliced in. Text inserted exactly at
/// `offset` counts as before it when `insertions_before` is set.
fn shift(path: &Path, offset: usize, applied: &[Edit], insertions_before: bool) -> usize {
    let mut at = offset as isize;
    for e in applied.iter().filter(|e| *e.path == *path) {
        let before = if e.is_insertion() && e.start() == offset {
            insertions_before
        } else {
            e.end() <= offset
        };
        if before {
            at += e.content.len() as isize - e.range.len() as isize;
        }
    }
    at as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> Arc<Path> {
        Arc::from(Path::new(name))
    }

    #[test]
    fn overlapping_replacements_conflict() {
        let a = Edit::replacement(p("a.go"), 0..5, "x");
        let b = Edit::replacement(p("a.go"), 4..8, "y");
        let c = Edit::replacement(p("a.go"), 5..8, "y");
        assert!(a.conflicts_with(&b));
        assert!(!a.conflicts_with(&c), "touching ranges do not overlap");
        assert!(!a.conflicts_with(&Edit::replacement(p("b.go"), 0..5, "z")));
    }

    #[test]
    fn claims_make_fixes_for_the_same_call_conflict() {
        let close = Fix::safe(
            "close",
            vec![Edit::insertion(p("a.go"), 50, "defer c.Close()\n")],
        )
        .with_claim(p("a.go"), 10..30);
        let hoist = Fix::unsafe_(
            "hoist",
            vec![Edit::replacement(p("a.go"), 10..30, "client()")],
        );
        let other = Fix::safe("other", vec![Edit::insertion(p("a.go"), 70, "x")])
            .with_claim(p("a.go"), 60..65);
        assert!(close.conflicts_with(&hoist) && hoist.conflicts_with(&close));
        assert!(!close.conflicts_with(&other));
        let twin = Fix::safe("twin", vec![]).with_claim(p("a.go"), 20..25);
        assert!(close.conflicts_with(&twin));
    }

    #[test]
    fn insertions_conflict_only_at_the_same_point_or_inside_a_replacement() {
        let i = Edit::insertion(p("a.go"), 3, "x");
        assert!(i.conflicts_with(&Edit::insertion(p("a.go"), 3, "y")));
        assert!(
            !i.conflicts_with(&Edit::insertion(p("a.go"), 3, "x")),
            "identical"
        );
        assert!(i.conflicts_with(&Edit::deletion(p("a.go"), 1..5)));
        assert!(!i.conflicts_with(&Edit::deletion(p("a.go"), 3..5)));
    }

    #[test]
    fn rebase_moves_a_fix_past_applied_edits() {
        let text = "0123456789";
        let applied = vec![
            Edit::insertion(p("a.go"), 2, "AB"),
            Edit::replacement(p("a.go"), 4..6, "X"),
            Edit::insertion(p("b.go"), 0, "elsewhere"),
        ];
        let fix = Fix::safe(
            "f",
            vec![
                Edit::insertion(p("a.go"), 8, "Y"),
                Edit::replacement(p("a.go"), 6..7, "Z"),
            ],
        )
        .with_claim(p("a.go"), 7..9);
        let moved = fix.rebase(&applied).unwrap();
        let new_text = crate::apply::splice(
            text,
            applied
                .iter()
                .filter(|e| &**e.path() == Path::new("a.go"))
                .collect(),
        );
        assert_eq!(new_text, "01AB23X6789");
        assert_eq!(
            crate::apply::splice(&new_text, moved.edits().iter().collect()),
            crate::apply::splice(
                text,
                applied
                    .iter()
                    .chain(fix.edits())
                    .filter(|e| &**e.path() == Path::new("a.go"))
                    .collect()
            )
        );
        assert_eq!(moved.claims, vec![(p("a.go"), 8..10)]);
    }

    #[test]
    fn rebase_drops_edits_already_applied_and_refuses_conflicts() {
        let import = Edit::insertion(p("a.go"), 3, "import");
        let applied = vec![import.clone(), Edit::insertion(p("a.go"), 9, "defer a")];
        let twin = Fix::safe("b", vec![import, Edit::insertion(p("a.go"), 12, "defer b")]);
        let moved = twin.rebase(&applied).unwrap();
        assert_eq!(moved.edits(), &[Edit::insertion(p("a.go"), 25, "defer b")]);
        let same_point = Fix::safe("c", vec![Edit::insertion(p("a.go"), 9, "defer c")]);
        assert!(same_point.rebase(&applied).is_none());
        let claimed = Fix::safe("d", vec![]).with_claim(p("a.go"), 8..12);
        assert!(claimed.rebase(&applied).is_none(), "an edit inside a claim");
    }

    #[test]
    fn shift_range_follows_or_gives_up() {
        let applied = vec![
            Edit::insertion(p("a.go"), 5, "xx"),
            Edit::replacement(p("a.go"), 20..22, ""),
        ];
        assert_eq!(shift_range(Path::new("a.go"), 5..9, &applied), Some(7..11));
        assert_eq!(shift_range(Path::new("a.go"), 0..5, &applied), Some(0..5));
        assert_eq!(
            shift_range(Path::new("a.go"), 30..31, &applied),
            Some(30..31)
        );
        assert_eq!(shift_range(Path::new("a.go"), 4..6, &applied), None);
        assert_eq!(shift_range(Path::new("a.go"), 21..25, &applied), None);
        assert_eq!(shift_range(Path::new("b.go"), 4..6, &applied), Some(4..6));
    }
}
