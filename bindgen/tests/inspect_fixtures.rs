//! `inspect` on real guests of every toolchain: the flavour is right, the toolchain version is
//! read, and each import table matches its reviewed snapshot.

mod common;

use std::fmt::Write as _;
use wasm_server_bindgen::inspect::{inspect_file, Report};

/// The reviewable core of a report: flavour, evidence, toolchain, every import with its
/// support, and the verdict (exports and sizes change with every toolchain patch release).
fn import_table(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "flavour: {}", r.flavour);
    for e in &r.evidence {
        let _ = writeln!(s, "evidence: {e}");
    }
    if let Some(t) = &r.toolchain {
        let _ = writeln!(s, "toolchain: {} {}", t.name, t.version.as_deref().unwrap_or("(unknown)"));
    }
    for g in &r.imports {
        let _ = writeln!(s, "[{}]", g.module);
        for i in &g.items {
            let _ = writeln!(s, "  {} {} {} => {}", i.name, i.ty.kind(), i.ty.describe(), i.support.label());
        }
    }
    let _ = writeln!(s, "verdict: {}", r.verdict.summary());
    s
}

#[test]
fn every_fixture_is_detected_and_its_imports_match_the_snapshot() {
    for f in common::all() {
        let report = inspect_file(&f.path).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(report.flavour, f.flavour, "{}: evidence {:?}", f.name, report.evidence);
        insta::assert_snapshot!(f.name, import_table(&report));
    }
}

#[test]
fn toolchain_versions_are_reported() {
    let go = format!("go{}", common::go_version());
    for f in common::all() {
        let r = inspect_file(&f.path).unwrap();
        let version = r.toolchain.as_ref().and_then(|t| t.version.clone());
        match f.name {
            "go-hello-js" | "go-httpget-js" | "go-workers-js" => assert_eq!(version.as_deref(), Some(go.as_str())),
            "rust-wasm-bindgen-raw" | "rust-wasm-bindgen-processed" => {
                assert_eq!(version.as_deref(), Some("0.2.130"), "{}", f.name)
            }
            "dotnet-native" => assert!(
                version.as_deref().is_some_and(|v| v.starts_with("10.0.") && v.contains("@Commit")),
                "{version:?}"
            ),
            _ => {}
        }
    }
}

#[test]
fn json_report_has_the_documented_top_level_keys() {
    let f = common::all().into_iter().find(|f| f.name == "go-hello-js").unwrap();
    let json = serde_json::to_value(inspect_file(&f.path).unwrap()).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    insta::assert_snapshot!("json_keys", keys.join("\n"));
    assert_eq!(json["flavour"], "gojs");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["verdict"]["verdict"], "needs-rewrite");
    assert_eq!(json["app"], "command");
}

#[test]
fn go_http_handlers_are_told_apart_from_commands() {
    for f in common::all().into_iter().filter(|f| f.flavour == "gojs") {
        let json = serde_json::to_value(inspect_file(&f.path).unwrap()).unwrap();
        let expected = if f.name == "go-workers-js" { "http-handler" } else { "command" };
        assert_eq!(json["app"], expected, "{}", f.name);
        // Whether the handler uses gojs/kv: reported for handlers only.
        let kv = if expected == "http-handler" { serde_json::Value::Bool(false) } else { serde_json::Value::Null };
        assert_eq!(json["key_value_stores"], kv, "{}", f.name);
    }
}
