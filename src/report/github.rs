//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding, on the finding's line.

use std::io::Write;

use super::{Report, Status};

pub fn emit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for r in report.findings.iter().filter(|r| r.status != Status::Fixed) {
        let f = &r.finding;
        let mut message = f.message.clone();
        if let Some(fix) = &f.fix {
            message.push_str(&format!(
                "\nfix ({}): {}",
                fix.applicability().as_str(),
                fix.title()
            ));
        }
        for n in &f.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        writeln!(
            out,
            "::warning file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&r.path),
            f.start.line,
            f.end.line,
            f.start.column,
            f.end.column,
            escape_property(f.rule),
            escape_data(&message)
        )?;
    }
    Ok(())
}

/// Workflow-command escaping for the message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping for a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
