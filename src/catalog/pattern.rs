//! The small pattern language of the catalog: `*` within a name or an import
//! path segment, and a trailing `/...` for "this package and everything below".

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern(String);

impl NamePattern {
    pub fn new(p: impl Into<String>) -> Self {
        NamePattern(p.into())
    }

    pub fn is_exact(&self) -> bool {
        !self.0.contains('*')
    }

    pub fn matches(&self, name: &str) -> bool {
        wildcard(&self.0, name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackagePattern {
    raw: String,
    segments: Vec<String>,
    recursive: bool,
}

impl PackagePattern {
    pub fn new(p: &str) -> Self {
        let (base, recursive) = match p.strip_suffix("/...") {
            Some(base) => (base, true),
            None => (p, false),
        };
        PackagePattern {
            raw: p.to_string(),
            segments: base.split('/').map(str::to_string).collect(),
            recursive,
        }
    }

    pub fn is_exact(&self) -> bool {
        !self.recursive && !self.raw.contains('*')
    }

    pub fn matches(&self, path: &str) -> bool {
        let mut parts = path.split('/');
        for seg in &self.segments {
            match parts.next() {
                Some(part) if wildcard(seg, part) => {}
                _ => return false,
            }
        }
        self.recursive || parts.next().is_none()
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The longest literal prefix, for the text prefilter.
    pub fn literal_prefix(&self) -> &str {
        let end = self.raw.find(['*']).unwrap_or(self.raw.len());
        self.raw[..end].trim_end_matches("/...")
    }
}

/// `*` matches any run of characters (including none); everything else is literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = NamePattern::new("New*Client");
        assert!(p.matches("NewClient"));
        assert!(p.matches("NewKeyManagementClient"));
        assert!(!p.matches("NewClientWithConfig"));
        assert!(!p.matches("Client"));
        assert!(NamePattern::new("NewClient*").matches("NewClientWithConfig"));
        assert!(NamePattern::new("Open").matches("Open"));
        assert!(!NamePattern::new("Open").matches("OpenFile"));
        assert!(NamePattern::new("*a*b*").matches("xaybz"));
    }

    #[test]
    fn packages() {
        let p = PackagePattern::new("cloud.google.com/go/...");
        assert!(p.matches("cloud.google.com/go"));
        assert!(p.matches("cloud.google.com/go/storage"));
        assert!(p.matches("cloud.google.com/go/kms/apiv1"));
        assert!(!p.matches("cloud.google.com/gox/storage"));
        let q = PackagePattern::new("cloud.google.com/go/*/apiv*/*pb");
        assert!(q.matches("cloud.google.com/go/kms/apiv1/kmspb"));
        assert!(!q.matches("cloud.google.com/go/kms/apiv1"));
        assert!(PackagePattern::new("os").matches("os"));
        assert!(!PackagePattern::new("os").matches("os/exec"));
        assert_eq!(p.literal_prefix(), "cloud.google.com/go");
    }
}
