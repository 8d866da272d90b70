//! ignore-without-reason: with `require-reason = true` in leakfix.toml, a
//! `// leakfix:ignore` marker must say why after ` -- `.

use super::names;
use crate::finding::Finding;
use crate::fix::Applicability;
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};
use crate::suppress::IgnoreFile;

pub struct IgnoreWithoutReason;

pub const ID: &str = "ignore-without-reason";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: None,
    summary: "A `// leakfix:ignore` comment gives no reason (only with `require-reason = true`)",
    fix_summary: "None: write why after ` -- `",
    fix_availability: FixAvailability::Never,
    applicability: Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
When leakfix.toml sets `require-reason = true`, finds `// leakfix:ignore`
comments with no reason after the rule ids (`-- why`). Without that
setting it finds nothing.

## Why is this bad?
An ignore hides a leak for good. Whoever reads the code later, or reviews
the pull request that adds it, needs to know why the value may stay open:
it lives as long as the process, a caller closes it, the library owns it.

## Example
```go
// leakfix:ignore go-missing-release
client, err := storage.NewClient(ctx)
```

## Use instead
```go
// leakfix:ignore go-missing-release -- kept for the life of the process
client, err := storage.NewClient(ctx)
```

## Fix safety
No automatic fix: only a person knows the reason. To keep a marker without
one, name this rule in it too: `// leakfix:ignore go-missing-release,
ignore-without-reason`.

## References
- [Inline suppression](https://github.com/leakfix/leakfix#silencing-a-finding)
"#;

impl Rule for IgnoreWithoutReason {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Nothing per unit: markers are judged after every rule has run
    /// (`super::check_markers`).
    fn check(&self, _unit: &Unit<'_>, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

pub(super) fn check(file: &IgnoreFile, out: &mut Vec<Finding>) {
    for m in &file.markers {
        if m.reason.is_none() && !names(m, ID) {
            out.push(Finding::new(
                ID,
                file.path.clone(),
                &file.source,
                m.comment.clone(),
                "this `leakfix:ignore` gives no reason: say why after ` -- `",
            ));
        }
    }
}
