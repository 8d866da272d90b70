//! JavaScript and TypeScript rule fixtures (tests/fixtures/js-*/), labelled
//! and snapshotted like the others; what leakfix writes must also pass
//! `node --check` (JavaScript) and `prettier --check` wherever the fixture
//! itself did (with the fixture folder's prettier config, if any).

use std::path::Path;

use leakfix::fix::Applicability;

use crate::common::{js_tools, node_check, prettier_format, run_rule};

fn js_fixture(rule: &str, path: &Path) {
    crate::fixtures::fixture(rule, path);
    let Some(tools) = js_tools() else { return };
    let applicability = leakfix::rules::by_id(rule).unwrap().meta().applicability;
    let run = run_rule(rule, path, applicability.min(Applicability::Unsafe), true);
    let is_js = path
        .extension()
        .is_some_and(|e| matches!(e.to_str(), Some("js" | "mjs" | "cjs" | "jsx")));
    if is_js {
        node_check(path, &run.original).unwrap_or_else(|e| {
            panic!(
                "{}: the fixture does not pass node --check: {e}",
                path.display()
            )
        });
        node_check(path, &run.fixed).unwrap_or_else(|e| {
            panic!(
                "{}: the fixed code does not pass node --check: {e}\n{}",
                path.display(),
                run.fixed
            )
        });
    }
    let before = prettier_format(&tools, path, &run.original);
    assert!(
        before.is_some(),
        "{}: prettier cannot parse the fixture",
        path.display()
    );
    if before.as_deref() == Some(run.original.as_str()) {
        let after = prettier_format(&tools, path, &run.fixed).unwrap_or_else(|| {
            panic!(
                "{}: prettier cannot parse the fixed code:\n{}",
                path.display(),
                run.fixed
            )
        });
        if after != run.fixed {
            panic!(
                "{}: the fixture is prettier-clean but the fixed code is not:\n{}",
                path.display(),
                leakfix::diff::unified("fixed -> prettier", &run.fixed, &after, 2)
            );
        }
    }
}

#[test]
fn js_missing_release() {
    insta::glob!(
        "fixtures/js-missing-release/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-missing-release", path)
    );
}

#[test]
fn js_per_request_client() {
    insta::glob!(
        "fixtures/js-per-request-client/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-per-request-client", path)
    );
}

#[test]
fn js_release_on_finish() {
    insta::glob!(
        "fixtures/js-release-on-finish/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-release-on-finish", path)
    );
}

#[test]
fn js_unhandled_pipe() {
    insta::glob!(
        "fixtures/js-unhandled-pipe/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-unhandled-pipe", path)
    );
}
