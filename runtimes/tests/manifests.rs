//! Golden tests of manifests: each `tests/manifests/good/NAME.toml` is loaded with
//! `serve --check` and its stdout compared with `NAME.stdout`; each `bad/NAME.toml` must be
//! rejected before listening, its stderr equal to `NAME.stderr`. The manifest's folder shows as
//! `$DIR`. `BLESS=1 cargo test -p wasm-server --test manifests` rewrites the expected files.

mod common;

use std::path::{Path, PathBuf};

/// A folder with the case's manifest and what manifests may refer to.
fn stage(case: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    common::copy_guest("hello", dir.path(), "hello.wasm");
    common::copy_guest("kv-counter", dir.path(), "kv.wasm");
    std::fs::copy(common::command_p1(), dir.path().join("command-p1.wasm")).unwrap();
    std::fs::create_dir(dir.path().join("static")).unwrap();
    let manifest = dir.path().join(case.file_name().unwrap());
    std::fs::copy(case, &manifest).unwrap();
    (dir, manifest)
}

fn check(kind: &str, ext: &str, want_success: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests").join(kind);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let (dir, manifest) = stage(case);
        let o = common::run(&["serve", "--check", "--manifest", manifest.to_str().unwrap()]);
        let out = if want_success { o.stdout_str() } else { o.stderr_str() };
        let out = out.replace(&dir.path().display().to_string(), "$DIR");
        let expected_path = case.with_extension(ext);
        assert_eq!(
            o.code == Some(0),
            want_success,
            "{}: exit {:?}\n{}{}",
            case.display(),
            o.code,
            o.stdout_str(),
            o.stderr_str()
        );
        if !want_success {
            assert_eq!(out.lines().count(), 1, "{}: one line:\n{out}", case.display());
            assert!(!out.contains("panicked"), "{out}");
        }
        if bless {
            std::fs::write(&expected_path, &out).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != out {
            failures.push(format!("{}:\n--- expected\n{expected}--- got\n{out}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ (BLESS=1 to update):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn good_manifests() {
    check("good", "stdout", true);
}

#[test]
fn bad_manifests() {
    check("bad", "stderr", false);
}

/// The sample in `samples/manifests/` is a working manifest: it loads with the guests it names
/// copied beside it.
#[test]
fn the_sample_manifest_loads() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/manifests/apps.toml");
    let dir = tempfile::tempdir().unwrap();
    for (g, f) in [("hello", "hello.wasm"), ("kv-counter", "kv-counter.wasm"), ("fetch", "fetch.wasm")] {
        common::copy_guest(g, dir.path(), f);
    }
    std::fs::create_dir(dir.path().join("static")).unwrap();
    let manifest = dir.path().join("apps.toml");
    std::fs::copy(&sample, &manifest).unwrap();
    let o = common::run(&["serve", "--check", "--manifest", manifest.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{}{}", o.stdout_str(), o.stderr_str());
    assert!(o.stdout_str().ends_with("app(s) loaded\n"), "{}", o.stdout_str());
}
