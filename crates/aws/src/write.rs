//! Writing the collection: folders and files readable by their owner alone, since dumps
//! hold inline buildspecs and PLAINTEXT variables.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Creates `dir` readable by the owner alone (its parents as usual); an existing folder
/// must be empty, so no stale scope of an earlier sweep is read as this one's.
pub(crate) fn output_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: cannot read the folder: {e}", dir.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{}: the folder is not empty; collect into a new or empty folder",
                dir.display()
            ));
        }
        return restrict(dir);
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{}: cannot create the folder: {e}", parent.display()))?;
    }
    // the folder itself is made here or not at all: one made by someone else in between
    // (a link, a folder of theirs) is an error, never written into
    private_leaf(dir).map_err(|e| format!("{}: cannot create the folder: {e}", dir.display()))
}

/// A new folder in the system's temporary folder, made by this process alone.
pub fn temporary_dir(prefix: &str) -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "{prefix}-{stamp:x}-{}-{attempt}",
            std::process::id()
        ));
        match private_leaf(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: cannot create the folder: {e}", dir.display())),
        }
    }
    Err(format!("{}: no new folder could be made", base.display()))
}

fn private_leaf(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates a folder (and parents) that only its owner can enter.
pub(crate) fn private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| format!("{}: cannot create the folder: {e}", dir.display()))
}

fn restrict(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: cannot restrict the folder: {e}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes the manifest, replacing the one written when the sweep started.
pub(crate) fn manifest(
    dir: &Path,
    manifest: &stagegate::collection::Manifest,
) -> Result<(), String> {
    let value = serde_json::to_value(manifest).map_err(|e| e.to_string())?;
    let path = dir.join(stagegate::collection::MANIFEST);
    // written beside and renamed over: a reader never sees half a manifest
    let partial = dir.join(format!("{}.partial", stagegate::collection::MANIFEST));
    let _ = std::fs::remove_file(&partial);
    private_json(&partial, &value)?;
    std::fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `value` as indented JSON to a new file readable by its owner alone: a file of
/// that name already there is an error, never replaced.
pub(crate) fn private_json(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// The file a pipeline's dump is written to: its name when that is a plain file name not
/// taken yet (on a file system blind to case, `App` takes `app`), else its place in the
/// listing, in a form no pipeline name has (names are the service's, but a file name must
/// never leave the folder).
pub(crate) fn pipeline_file(dir: &Path, name: &str, index: usize) -> PathBuf {
    let plain = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'));
    // a dump named like a collection's manifest would be read as one
    let manifest = stagegate::collection::MANIFEST;
    let like_manifest = manifest.eq_ignore_ascii_case(&format!("{name}.json"));
    let by_name = dir.join(format!("{name}.json"));
    if plain && !like_manifest && !by_name.exists() {
        by_name
    } else {
        dir.join(format!("pipeline~{index}.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_name_never_leaves_the_folder() {
        let dir = Path::new("/c/a/r/pipelines");
        assert_eq!(pipeline_file(dir, "app", 0), dir.join("app.json"));
        assert_eq!(pipeline_file(dir, "..", 3), dir.join("pipeline~3.json"));
        assert_eq!(
            pipeline_file(dir, "Stagegate-Collection", 6),
            dir.join("pipeline~6.json")
        );
        assert_eq!(pipeline_file(dir, "a/b", 4), dir.join("pipeline~4.json"));
        assert_eq!(
            pipeline_file(dir, ".hidden", 5),
            dir.join("pipeline~5.json")
        );
    }

    #[cfg(unix)]
    #[test]
    fn dumps_are_readable_by_their_owner_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("stagegate-aws-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        output_dir(&dir).unwrap();
        let file = dir.join("x.json");
        private_json(&file, &serde_json::json!({"a": 1})).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(
            private_json(&file, &serde_json::json!({})).is_err(),
            "never replaced"
        );
        let err = output_dir(&dir).unwrap_err();
        assert!(err.contains("not empty"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
