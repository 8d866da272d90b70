//! Writing files: atomically (a temporary file in the same folder, renamed
//! over the original), keeping permissions, and only if the file on disk is
//! still what leakfix read.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Replaces `path` with `new`, if its current contents are `expected`.
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<()> {
    let current =
        std::fs::read(path).with_context(|| format!("cannot re-read {}", path.display()))?;
    if current != expected {
        bail!(
            "{} changed on disk while leakfix ran; left as it is",
            path.display()
        );
    }
    let meta = std::fs::metadata(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".leakfix-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(new)?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), meta.permissions())?;
    // Follow a symlink so that the link survives and its target changes.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&f, b"old", b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn refuses_when_the_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, "changed").unwrap();
        assert!(write_atomic(&f, b"old", b"new").is_err());
        assert_eq!(std::fs::read(&f).unwrap(), b"changed");
    }
}
