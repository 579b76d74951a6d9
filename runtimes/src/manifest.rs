//! The apps manifest of `wasm-server serve --manifest apps.toml` (format documented in
//! `runtimes/README.md`, example in `samples/manifests/apps.toml`).
//!
//! Parsing is strict: unknown fields are errors, and every error names the file, the line and
//! the field at fault. Semantic checks (a component that is missing, a store nobody declared,
//! two apps claiming the same route) point at the app's table.

use crate::kv::StoreConfig;
use crate::options::RuntimeOptions;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The manifest format this host reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    version: Spanned<u32>,
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    stores: BTreeMap<String, Spanned<StoreConfig>>,
    #[serde(default)]
    apps: BTreeMap<String, Spanned<RuntimeOptions>>,
}

/// `[server]`: settings of the whole server (flags of `serve` override them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerSection {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Instances of all apps that may run at once (the pooling allocator's size).
    pub max_instances: Option<u32>,
}

/// A validated manifest.
#[derive(Debug)]
pub struct Manifest {
    pub path: PathBuf,
    /// The manifest's folder: relative paths in it are relative to this.
    pub base: PathBuf,
    pub server: ServerSection,
    pub stores: BTreeMap<String, StoreConfig>,
    pub apps: Vec<AppEntry>,
}

/// One app of a manifest.
#[derive(Debug, Clone)]
pub struct AppEntry {
    pub name: String,
    /// The component, resolved against the manifest's folder.
    pub component: PathBuf,
    pub options: RuntimeOptions,
    /// The manifest line of the app's table (for later errors).
    pub line: usize,
}

/// A manifest that cannot be used: file, line and column (1-based) when known, and what is
/// wrong. Displayed on one line.
#[derive(Debug, thiserror::Error)]
pub struct ManifestError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad manifest {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Line and column (1-based) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The `key` of a `key = value` line, if the line is one.
fn key_of_line(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('[') && !k.contains(' ')).then_some(k)
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let err = |line: Option<usize>, column: Option<usize>, message: String| ManifestError {
            path: path.into(),
            line,
            column,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(None, None, format!("cannot read it: {e}")))?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => {
                    let (line, column) = position(&text, span.start);
                    let line_text = text.lines().nth(line - 1).unwrap_or("");
                    // Name the field when the error sits on a `key = value` line and the
                    // message does not already.
                    let message = match key_of_line(line_text) {
                        Some(k) if !message.contains(k) => format!("field `{k}`: {message}"),
                        _ => message,
                    };
                    err(Some(line), Some(column), message)
                }
                None => err(None, None, message),
            }
        })?;
        let at = |span: Range<usize>, message: String| {
            let (line, _) = position(&text, span.start);
            err(Some(line), None, message)
        };

        if *file.version.get_ref() != VERSION {
            return Err(at(
                file.version.span(),
                format!(
                    "field `version`: this wasm-server reads manifest version {VERSION}, not {}",
                    file.version.get_ref()
                ),
            ));
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };

        let mut redb_files = BTreeMap::new();
        for (name, store) in &file.stores {
            check_name("store", name).map_err(|m| at(store.span(), m))?;
            if let StoreConfig::Redb(c) = store.get_ref() {
                let p = base.join(&c.path);
                if let Some(other) = redb_files.insert(p.clone(), name.clone()) {
                    return Err(at(
                        store.span(),
                        format!("stores `{other}` and `{name}` use the same file {}; give each its own", p.display()),
                    ));
                }
            }
        }

        if file.apps.is_empty() {
            return Err(err(None, None, "no apps: add at least one [apps.NAME] table with a `component`".into()));
        }
        let mut apps = Vec::new();
        let mut claimed: BTreeMap<(String, String), String> = BTreeMap::new();
        for (name, spanned) in &file.apps {
            let span = spanned.span();
            let fail = |m: String| at(span.clone(), format!("app `{name}`: {m}"));
            check_name("app", name).map_err(|m| at(span.clone(), m))?;
            let options = spanned.get_ref().clone();
            let component = options
                .component
                .as_ref()
                .ok_or_else(|| fail("missing field `component` (the .wasm file of the app)".into()))?;
            let component = base.join(component);
            if !component.is_file() {
                return Err(fail(format!("field `component`: {} does not exist", component.display())));
            }
            options.validate().map_err(&fail)?;
            for r in &options.routes {
                if !r.starts_with('/') {
                    return Err(fail(format!("field `routes`: route '{r}' must start with '/'")));
                }
            }
            for store in &options.kv {
                if !file.stores.contains_key(store) {
                    let known: Vec<&str> = file.stores.keys().map(String::as_str).collect();
                    return Err(fail(format!(
                        "field `kv`: no [stores.{store}] is declared (declared: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    )));
                }
            }
            for d in &options.dir {
                let host = base.join(&d.host);
                if !host.is_dir() {
                    return Err(fail(format!("field `dir`: {} is not a folder", host.display())));
                }
            }
            for key in options.route_keys() {
                if let Some(other) = claimed.insert(key.clone(), name.clone()) {
                    let (host, route) = key;
                    let host = if host.is_empty() { "any host".to_string() } else { format!("host {host}") };
                    return Err(fail(format!("route {route} on {host} is already served by app `{other}`")));
                }
            }
            let (line, _) = position(&text, span.start);
            apps.push(AppEntry { name: name.clone(), component, options, line });
        }
        let declared: BTreeSet<&String> = file.stores.keys().collect();
        let used: BTreeSet<&String> = apps.iter().flat_map(|a| a.options.kv.iter()).collect();
        for unused in declared.difference(&used) {
            tracing::warn!(store = %unused, "store declared in the manifest but listed by no app");
        }
        Ok(Manifest {
            path: path.into(),
            base,
            server: file.server,
            stores: file.stores.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
            apps,
        })
    }
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("{what} name '{name}' must be 1 to 64 letters, digits, '-' or '_'"))
    }
}
