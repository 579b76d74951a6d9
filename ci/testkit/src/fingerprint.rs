//! Content keys for built guests: a SHA-256 over everything a build reads from this
//! repository, so that every process (tests, conformance, benchmarks) reuses one build until
//! a source changes, and a changed source is never served from the cache.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Accumulates what a build depends on: labelled values and folder trees.
pub struct Fingerprint {
    hash: Sha256,
}

impl Fingerprint {
    /// A fingerprint for one kind of build; `recipe` names the build and its fixed flags, so
    /// that changing how a guest is built changes every key.
    pub fn new(recipe: &str) -> Fingerprint {
        let mut f = Fingerprint { hash: Sha256::new() };
        f.value("recipe", recipe);
        f
    }

    /// A labelled value (a toolchain version, a target).
    pub fn value(&mut self, label: &str, value: &str) -> &mut Self {
        for part in [label, value] {
            self.hash.update((part.len() as u64).to_le_bytes());
            self.hash.update(part.as_bytes());
        }
        self
    }

    /// Every file under `dir` (names relative to it, and contents), in a stable order.
    /// Build outputs (`*.wasm`, `build/`) and hidden entries are left out, and so are folders
    /// holding a `go.mod` of their own below the top (another Go module).
    pub fn tree(&mut self, dir: &Path) -> Result<&mut Self> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort();
        self.value("tree", &files.len().to_string());
        for rel in files {
            let bytes =
                std::fs::read(dir.join(&rel)).with_context(|| format!("reading {}", dir.join(&rel).display()))?;
            self.value("file", &rel.to_string_lossy());
            self.hash.update((bytes.len() as u64).to_le_bytes());
            self.hash.update(&bytes);
        }
        Ok(self)
    }

    /// The key, as 16 hex digits (64 bits: a cache, not a signature).
    pub fn key(&self) -> String {
        self.hash.clone().finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn collect(top: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
            if name == "build" || (path != top && path.join("go.mod").exists()) {
                continue;
            }
            collect(top, &path, out)?;
        } else if !name.ends_with(".wasm") {
            out.push(path.strip_prefix(top).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

/// The folder of the Go module holding `pkg_dir` (the nearest with a `go.mod`).
pub fn go_module_root(pkg_dir: &Path) -> Result<PathBuf> {
    pkg_dir
        .ancestors()
        .find(|d| d.join("go.mod").is_file())
        .map(Path::to_path_buf)
        .with_context(|| format!("no go.mod in {} or above", pkg_dir.display()))
}

/// The Go module at `root` and every module it reaches through `replace … => ./local/path`
/// directives (transitively): the sources a build of a package in it can read.
pub fn go_local_modules(root: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(module) = todo.pop() {
        let module = module.canonicalize().with_context(|| format!("resolving {}", module.display()))?;
        if !seen.insert(module.clone()) {
            continue;
        }
        let go_mod = std::fs::read_to_string(module.join("go.mod"))
            .with_context(|| format!("reading {}/go.mod", module.display()))?;
        todo.extend(local_replacements(&go_mod).into_iter().map(|rel| module.join(rel)));
    }
    Ok(seen)
}

/// The local targets of a go.mod's `replace` directives (single-line and block form): those
/// that are file paths (`./…`, `../…` or absolute), as written.
fn local_replacements(go_mod: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in go_mod.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let directive = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("replace") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            rest
        } else {
            continue;
        };
        if let Some((_, target)) = directive.split_once("=>") {
            if let Some(path) = target.split_whitespace().next() {
                if path.starts_with("./") || path.starts_with("../") || path.starts_with('/') {
                    out.push(path.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_replacements_in_both_forms() {
        let go_mod = "module x\n\nreplace a => ../a // local\nreplace b v1.0.0 => b.example/b v1.1.0\nreplace (\n\tc => ./c\n\td v0.1.0 => /abs/d\n)\n";
        assert_eq!(local_replacements(go_mod), vec!["../a", "./c", "/abs/d"]);
    }

    #[test]
    fn a_guest_depends_on_the_local_modules_it_replaces() {
        let root = crate::tools::repo_root();
        let modules = go_local_modules(&go_module_root(&root.join("conformance/guests/go/http")).unwrap()).unwrap();
        let shims = root.join("shims/gojs/go").canonicalize().unwrap();
        assert!(modules.contains(&shims), "{modules:?}");
        let workers = go_local_modules(&root.join("conformance/guests/go/workers/app")).unwrap();
        assert!(
            workers.contains(&root.join("conformance/guests/go/workers/compat").canonicalize().unwrap()),
            "{workers:?}"
        );
    }

    #[test]
    fn a_changed_file_changes_the_key() {
        let dir = crate::tools::scratch_dir("fingerprint-test").join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("main.go"), "package main").unwrap();
        std::fs::write(dir.join("sub/x.go"), "package sub").unwrap();
        std::fs::write(dir.join("out.wasm"), "ignored").unwrap();
        let key = || Fingerprint::new("t").tree(&dir).unwrap().key();
        let first = key();
        std::fs::write(dir.join("out.wasm"), "still ignored").unwrap();
        assert_eq!(key(), first);
        std::fs::write(dir.join("sub/x.go"), "package sub // changed").unwrap();
        assert_ne!(key(), first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
