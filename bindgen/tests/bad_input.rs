//! Bad input gets one clear line on stderr and exit code 1, never a panic: checked on the CLI
//! (expected stderr reviewed as snapshots), and on the library with 1,000 wasm-smith modules
//! and truncations of every fixture.

mod common;

use arbitrary::Unstructured;
use std::path::{Path, PathBuf};
use std::process::Command;
use wasm_server_bindgen::module::{Check, Input};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasm-server-bindgen"))
}

fn scratch() -> PathBuf {
    testkit::tools::scratch_dir("bad-input")
}

/// Runs `inspect` on `file` and returns its stderr with the scratch folder replaced by `$DIR`;
/// asserts exit code 1, empty stdout and a single line of stderr.
fn inspect_fails(file: &Path) -> String {
    let out = cli().arg("inspect").arg(file).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{file:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{file:?} printed to stdout");
    assert_eq!(stderr.lines().count(), 1, "one line expected, got:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.replace(&scratch().display().to_string(), "$DIR")
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn hello_bytes() -> Vec<u8> {
    let f = common::all().into_iter().find(|f| f.name == "go-hello-js").unwrap();
    std::fs::read(f.path).unwrap()
}

#[test]
fn missing_file() {
    insta::assert_snapshot!(inspect_fails(&scratch().join("no-such-file.wasm")));
}

#[test]
fn directory() {
    insta::assert_snapshot!(inspect_fails(&scratch()));
}

#[test]
fn empty_file() {
    insta::assert_snapshot!(inspect_fails(&write("empty.wasm", b"")));
}

#[test]
fn not_wasm() {
    insta::assert_snapshot!("not_wasm_text", inspect_fails(&write("notes.wasm", b"just some text\n")));
    insta::assert_snapshot!("not_wasm_wat", inspect_fails(&write("module.wasm", b"(module)\n")));
}

#[test]
fn unknown_binary_version() {
    insta::assert_snapshot!(inspect_fails(&write("v2.wasm", b"\0asm\x02\0\0\0")));
}

#[test]
fn truncated_wasm() {
    let bytes = hello_bytes();
    insta::assert_snapshot!(inspect_fails(&write("truncated.wasm", &bytes[..bytes.len() / 2])));
}

#[test]
fn garbage_after_valid_sections() {
    let mut bytes = hello_bytes();
    bytes.extend_from_slice(b"GARBAGE!");
    insta::assert_snapshot!(inspect_fails(&write("garbage.wasm", &bytes)));
}

#[test]
fn invalid_function_body() {
    // A function declared to return i32 whose body is empty: well-formed, but invalid.
    let bytes = wat::parse_str("(module (func (result i32)))").unwrap();
    insta::assert_snapshot!(inspect_fails(&write("invalid-body.wasm", &bytes)));
}

/// Deterministic bytes for wasm-smith (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_thousand_wasm_smith_modules_are_inspected_or_rejected_cleanly() {
    let (mut ok, mut rejected) = (0, 0);
    for seed in 0..1000u64 {
        let data = noise(seed, 4096);
        let mut u = Unstructured::new(&data);
        let mut config: wasm_smith::Config = u.arbitrary().unwrap_or_default();
        // Keep modules small enough that 1,000 of them stay quick on a loaded machine.
        config.max_funcs = config.max_funcs.min(50);
        config.max_instructions = config.max_instructions.min(500);
        let Ok(m) = wasm_smith::Module::new(config, &mut u) else { continue };
        let bytes = m.to_bytes();
        let path = Path::new("smith.wasm");
        match Input::from_bytes(path, bytes.clone(), Check::Full) {
            Ok(input) => {
                // The whole report must build too (detection, support, verdict, text, JSON).
                let r = wasm_server_bindgen::inspect::report(&input);
                let _ = r.to_text();
                serde_json::to_string(&r).unwrap();
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "{e}");
                rejected += 1;
            }
        }
        // Cut the module short too: a truncated binary must be rejected, not panic.
        let cut = bytes.len() * (seed as usize % 97 + 1) / 100;
        if cut > 8 && cut < bytes.len() {
            if let Ok(input) = Input::from_bytes(path, bytes[..cut].to_vec(), Check::Full) {
                let _ = wasm_server_bindgen::inspect::report(&input).to_text();
            }
        }
    }
    assert!(ok + rejected >= 1000 - 50, "too few modules generated: {ok} ok, {rejected} rejected");
    assert!(ok > 500, "wasm-smith modules should mostly be valid: {ok} ok, {rejected} rejected");
}

#[test]
fn truncations_of_every_fixture_are_rejected_cleanly() {
    for f in common::all() {
        let bytes = std::fs::read(&f.path).unwrap();
        let steps = 200usize;
        for i in 0..steps {
            let cut = 8 + (bytes.len() - 8) * i / steps;
            match Input::from_bytes(Path::new(f.name), bytes[..cut].to_vec(), Check::Full) {
                // A cut on a section boundary can leave a valid (smaller) module.
                Ok(input) => {
                    let _ = wasm_server_bindgen::inspect::report(&input).to_text();
                }
                Err(e) => assert!(!e.to_string().contains('\n'), "{}: {e}", f.name),
            }
        }
    }
}
