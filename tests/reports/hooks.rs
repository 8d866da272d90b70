//! The progress bar, the pre-commit hook and the GitHub Action.

use super::*;

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let ws = mixed_workspace();
    for format in FORMATS {
        let out = leakfix()
            .current_dir(ws.path())
            .args(["check", "--format", format])
            .env("LEAKFIX_PROGRESS_DELAY_MS", "0")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(
            !err.contains("scanning") && !err.contains('\r') && !err.contains('\u{1b}'),
            "{format}: {err:?}"
        );
        let out_text = stdout(&out);
        assert!(!out_text.contains("scanning") && !out_text.contains('\u{1b}'));
    }
}

#[cfg(unix)]
#[test]
fn progress_bar_on_a_terminal_is_cleared_before_the_report() {
    use expectrl::Expect;
    let ws = mixed_workspace();
    let run_in_pty = |extra: &[&str]| -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leakfix"));
        cmd.current_dir(ws.path())
            .args(["check", "--format", "json", "--exit-zero"])
            .args(extra)
            .env("LEAKFIX_PROGRESS_DELAY_MS", "0")
            .env("TERM", "xterm")
            .env_remove("NO_COLOR");
        let mut session = expectrl::Session::spawn(cmd).unwrap();
        session.set_expect_timeout(Some(std::time::Duration::from_secs(120)));
        let found = session.expect(expectrl::Eof).unwrap();
        // Eof matches everything that was printed.
        String::from_utf8_lossy(found.get(0).unwrap_or_default()).into_owned()
    };
    let shown = run_in_pty(&[]);
    assert!(shown.contains("scanning"), "{shown:?}");
    // The report starts after the bar was drawn and cleared.
    let bar = shown.find("scanning").unwrap();
    let report = shown.find("\"version\"").unwrap();
    assert!(bar < report, "{shown:?}");
    let last = shown.rfind("scanning").unwrap();
    assert!(
        shown[last..report].contains("\u{1b}[2K"),
        "the bar is erased: {shown:?}"
    );
    let hidden = run_in_pty(&["--no-progress"]);
    assert!(!hidden.contains("scanning"), "{hidden:?}");
}

// ---------------------------------------------------------------------------
// pre-commit hook and GitHub Action

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreCommitHook {
    id: String,
    name: String,
    description: String,
    entry: String,
    language: String,
    types_or: Vec<String>,
    pass_filenames: bool,
    require_serial: bool,
    minimum_pre_commit_version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    description: String,
    author: String,
    branding: BTreeMap<String, String>,
    inputs: BTreeMap<String, ActionInput>,
    outputs: BTreeMap<String, ActionOutput>,
    runs: ActionRuns,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionInput {
    description: String,
    required: bool,
    default: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionOutput {
    description: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRuns {
    using: String,
    steps: Vec<ActionStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ActionStep {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    condition: Option<String>,
    shell: Option<String>,
    working_directory: Option<String>,
    env: Option<BTreeMap<String, String>>,
    run: Option<String>,
    uses: Option<String>,
    with: Option<BTreeMap<String, String>>,
}

#[test]
fn pre_commit_hook_definition() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<PreCommitHook> = serde_norway::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(h.id, "leakfix");
    assert!(!h.name.is_empty() && !h.description.is_empty());
    assert_eq!(
        h.language, "rust",
        "pre-commit builds it with cargo from this repository"
    );
    assert_eq!(h.types_or, ["go", "rust", "javascript", "jsx", "ts", "tsx"]);
    assert!(h.pass_filenames && h.require_serial);
    assert!(!h.minimum_pre_commit_version.is_empty());
    // The entry is a leakfix command line that parses, and never writes.
    let words: Vec<&str> = h.entry.split_whitespace().collect();
    assert_eq!(words[..2], ["leakfix", "check"]);
    let ws = workspace();
    let before = snapshot(ws.path());
    let mut args: Vec<&str> = words[1..].to_vec();
    args.extend(["main.go", "store/store.go"]);
    let out = run_ok(ws.path(), &args, 1);
    assert!(out.contains("main.go") && out.contains("store/store.go"));
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn github_action_definition() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let action: Action = serde_norway::from_str(&text).unwrap();
    assert_eq!(action.name, "leakfix");
    assert!(!action.description.is_empty() && !action.author.is_empty());
    assert!(action.branding.contains_key("icon"));
    for input in [
        "paths",
        "args",
        "working-directory",
        "upload-sarif",
        "sarif-file",
    ] {
        assert!(action.inputs.contains_key(input), "input {input}");
    }
    assert_eq!(action.inputs["paths"].default, ".");
    assert_eq!(action.inputs["upload-sarif"].default, "true");
    assert_eq!(action.inputs["fail-on-findings"].default, "true");
    for (name, i) in &action.inputs {
        assert!(!i.description.is_empty() && !i.required, "{name}");
    }
    for o in action.outputs.values() {
        assert!(o.value.contains("steps.check.outputs."), "{}", o.value);
        assert!(!o.description.is_empty());
    }
    assert_eq!(action.runs.using, "composite");
    let steps = &action.runs.steps;
    for s in steps {
        assert!(!s.name.is_empty());
        assert!(
            s.run.is_some() != s.uses.is_some(),
            "{}: run or uses",
            s.name
        );
        if s.run.is_some() {
            assert_eq!(s.shell.as_deref(), Some("bash"), "{}", s.name);
        }
        assert!(s.working_directory.is_none() || s.run.is_some());
        assert!(s.with.is_none() || s.uses.is_some());
        let _ = (&s.condition, &s.env);
    }
    let upload = steps
        .iter()
        .find(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploads the SARIF report");
    assert!(upload.with.as_ref().unwrap().contains_key("sarif_file"));
    // Every `${{ inputs.X }}` names a declared input; every `steps.ID` a step.
    let ids: Vec<&str> = steps.iter().filter_map(|s| s.id.as_deref()).collect();
    for (i, _) in text.match_indices("inputs.") {
        if !text[..i].ends_with([' ', '{', '(']) {
            continue;
        }
        let name: String = text[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            action.inputs.contains_key(&name),
            "undeclared input {name:?}"
        );
    }
    for (i, _) in text.match_indices("steps.") {
        let id: String = text[i + 6..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(ids.contains(&id.as_str()), "unknown step id {id}");
    }
}

/// The action's check step, run as GitHub runs it (`bash -e`), with the
/// inputs in its environment: leaks are exit-code 1 (the step goes on to
/// upload), a failed run stops the step.
#[cfg(unix)]
#[test]
fn github_action_check_step_runs() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let action: Action = serde_norway::from_str(&text).unwrap();
    let step = action
        .runs
        .steps
        .iter()
        .find(|s| s.id.as_deref() == Some("check"))
        .unwrap();
    let script = step.run.clone().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_leakfix"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ws = workspace();
    let run_step = |paths: &str, args: &str, annotations: &str| {
        let outputs = ws.path().join("github-output");
        std::fs::write(&outputs, "").unwrap();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(ws.path())
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &outputs)
            .env("LEAKFIX_PATHS", paths)
            .env("LEAKFIX_ARGS", args)
            .env("LEAKFIX_SARIF", "leakfix.sarif")
            .env("LEAKFIX_ANNOTATIONS", annotations)
            .output()
            .unwrap();
        (out, std::fs::read_to_string(&outputs).unwrap())
    };
    let (out, outputs) = run_step(".", "", "false");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains("sarif-file=leakfix.sarif\n"));
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("leakfix.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        labelled(ws.path()).len()
    );

    let (out, outputs) = run_step("main.go\n  store", "--rule go-missing-release", "true");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(outputs.contains("exit-code=1\n"));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("::warning "))
            .count(),
        labelled(ws.path())
            .iter()
            .filter(|l| l.path.ends_with(".go"))
            .count()
    );

    let (out, outputs) = run_step("no-such-dir", "", "false");
    assert_eq!(out.status.code(), Some(2));
    assert!(outputs.contains("exit-code=2\n"));
    assert!(stdout(&out).contains("::error"));
}
