//! Comparing a host's run with the reference run: stdout, stderr, exit code and the files left
//! in the work folder. Differences are described in one or two short lines for the matrix.

use crate::cases::Compare;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use testkit::process::Outcome;

/// What a run left in its work folder: relative path → entry description.
pub type Tree = BTreeMap<String, String>;

/// Snapshots `dir` (not following symlinks). Files are described by size and content hash.
pub fn tree(dir: &Path) -> Tree {
    let mut out = Tree::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Tree) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
            out.insert(rel, format!("symlink -> {target}"));
        } else if meta.is_dir() {
            out.insert(rel, "dir".into());
            walk(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            out.insert(rel, format!("file {} bytes #{:016x}", bytes.len(), h.finish()));
        }
    }
}

/// The first difference between `reference` and `other` in the compared aspects, if any.
pub fn differences(compare: &[Compare], reference: (&Outcome, &Tree), other: (&Outcome, &Tree)) -> Option<String> {
    let mut found = Vec::new();
    for aspect in compare {
        let diff = match aspect {
            Compare::ExitCode => (reference.0.code != other.0.code || reference.0.timed_out != other.0.timed_out)
                .then(|| format!("exit: {} vs {}", reference.0.status_line(), other.0.status_line())),
            Compare::Stdout => text_diff("stdout", &reference.0.stdout, &other.0.stdout),
            Compare::Stderr => text_diff("stderr", &reference.0.stderr, &other.0.stderr),
            Compare::Files => tree_diff(reference.1, other.1),
        };
        found.extend(diff);
    }
    (!found.is_empty()).then(|| found.join("; "))
}

fn text_diff(what: &str, a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.split('\n').collect(), b.split('\n').collect());
    let line = al.iter().zip(&bl).position(|(x, y)| x != y).unwrap_or(al.len().min(bl.len()));
    let show = |l: Option<&&str>| l.map_or("<end>".to_string(), |s| format!("{:?}", clip(s)));
    Some(format!(
        "{what} differs at line {} ({} vs {} bytes): {} vs {}",
        line + 1,
        a.len(),
        b.len(),
        show(al.get(line)),
        show(bl.get(line))
    ))
}

fn tree_diff(a: &Tree, b: &Tree) -> Option<String> {
    if a == b {
        return None;
    }
    let first = a
        .iter()
        .find(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: {v} vs {}", b.get(k).map_or("missing", |s| s.as_str())))
        .or_else(|| b.iter().find(|(k, _)| !a.contains_key(*k)).map(|(k, v)| format!("{k}: missing vs {v}")));
    Some(format!("files differ: {}", first.unwrap_or_default()))
}

fn clip(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        s.chars().take(MAX).collect::<String>() + "…"
    }
}
