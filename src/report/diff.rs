//! `--format diff`: one unified diff of every change, as `fix` writes it
//! (check) or wrote it (fix). `git apply` accepts it from the working folder.

use std::io::Write;

use super::Report;
use crate::diff::unified;

pub fn emit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for c in &report.changes {
        write!(
            out,
            "{}",
            unified(&c.display, &c.old_text(), &c.new_text(), 3)
        )?;
    }
    Ok(())
}
