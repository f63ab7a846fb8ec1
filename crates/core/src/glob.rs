//! The two glob dialects of configuration and governance data: names (`*` matches any run
//! of characters) and paths (`*` within a segment, `**` across segments).

/// Whether the name `text` matches `pattern`: `*` matches any run of characters (`/`
/// included); names hold no other glob syntax.
pub(crate) fn name(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .is_ok_and(|g| g.compile_matcher().is_match(text))
}

/// A path pattern: `*` matches within a path segment, `**` across segments.
pub(crate) fn path_matcher(pattern: &str) -> Result<globset::GlobMatcher, globset::Error> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

/// Whether `path` matches the path pattern (a pattern that does not compile, which loading
/// refuses, matches nothing).
pub fn path(pattern: &str, path: &str) -> bool {
    path_matcher(pattern).is_ok_and(|m| m.is_match(path))
}

#[cfg(test)]
mod tests {
    #[test]
    fn name_globs() {
        assert!(super::name("a*c", "abbbc"));
        assert!(super::name("*", "x"));
        assert!(super::name("a*b*c", "axxbyyc"));
        assert!(!super::name("a*b*c", "axxc"));
        assert!(super::name("abc", "abc"));
    }

    #[test]
    fn path_globs() {
        assert!(super::path("ci/**/*.yml", "ci/a/b/buildspec.yml"));
        assert!(super::path("ci/*.yml", "ci/buildspec.yml"));
        assert!(!super::path("ci/*.yml", "ci/a/buildspec.yml"));
        assert!(super::path("**/pipeline.yaml", "pipeline.yaml"));
        assert!(super::path("**", "anything/at/all"));
    }
}
