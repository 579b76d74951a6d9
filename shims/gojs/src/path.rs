//! node's `path` module (POSIX flavour): `path.resolve`, which Go's `syscall.Open` calls to
//! record a file's absolute path, and the lexical normalisation the shim applies to the
//! emulated current directory and the preopens' mount paths (`fs` resolves the paths Go hands
//! it as the kernel does, `..` after a symlink included: see `fs::resolve`).

use crate::shim::{go_native, Shim};
use js_realm::realm::{invalid_arg_type, Realm};
use js_realm::value::{JsResult, Value};

/// The `path` global (node's `require("path")`, which wasm_exec_node.js installs): `resolve`
/// (the one function Go calls), `sep` and `delimiter`.
pub fn install(realm: &Realm) {
    let path = realm.object_with("path", [("sep", Value::str("/")), ("delimiter", Value::str(":"))]);
    realm.method(&path, "resolve", go_native!(resolve_js));
    realm.global.set("path", path.into());
}

fn resolve_js(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let mut segments = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match a {
            Value::String(s) => segments.push(s.clone()),
            v => return Err(invalid_arg_type(&shim.js.realm, &format!("paths[{i}]"), "of type string", v)),
        }
    }
    Ok(Value::str(&resolve(&shim.process.cwd, segments.iter().map(|s| &**s))))
}

/// `path.resolve(...segments)` with `cwd` standing for `process.cwd()`: segments are taken
/// right to left until one is absolute, empty ones are skipped, and the result is normalised
/// (no `.`/`..`, no repeated or trailing slashes). `cwd` must be absolute.
pub fn resolve<'a>(cwd: &'a str, segments: impl DoubleEndedIterator<Item = &'a str>) -> String {
    let mut parts: Vec<&str> = Vec::new(); // collected right to left
    let mut absolute = false;
    for seg in segments.rev().chain(std::iter::once(cwd)) {
        if seg.is_empty() {
            continue;
        }
        parts.push(seg);
        if seg.starts_with('/') {
            absolute = true;
            break;
        }
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in parts.iter().rev() {
        for comp in seg.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    // Above the root stays at the root, as in node.
                    out.pop();
                }
                c => out.push(c),
            }
        }
    }
    let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    if !absolute {
        // Only when cwd is not absolute, which the shim never lets happen.
        if out.is_empty() {
            return ".".into();
        }
        s.push_str(&out.join("/"));
        return s;
    }
    for c in &out {
        s.push('/');
        s.push_str(c);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// `resolve(cwd, [path])`.
pub fn absolute(cwd: &str, path: &str) -> String {
    resolve(cwd, std::iter::once(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cwd: &str, segs: &[&str]) -> String {
        resolve(cwd, segs.iter().copied())
    }

    #[test]
    fn resolves_like_node() {
        assert_eq!(r("/home/u", &[]), "/home/u");
        assert_eq!(r("/home/u", &["a.txt"]), "/home/u/a.txt");
        assert_eq!(r("/home/u", &["/etc/", "passwd"]), "/etc/passwd");
        assert_eq!(r("/home/u", &["/foo/bar", "./baz"]), "/foo/bar/baz");
        assert_eq!(r("/home/u", &["/foo/bar", "/tmp/file/"]), "/tmp/file");
        assert_eq!(
            r("/", &["wwwroot", "static_files/png/", "../gif/image.gif"]),
            "/wwwroot/static_files/gif/image.gif"
        );
        assert_eq!(r("/home/u", &["../../../.."]), "/");
        assert_eq!(r("/home/u", &["", ""]), "/home/u");
        assert_eq!(r("/", &["."]), "/");
        assert_eq!(r("/a", &["b//c/./d/.."]), "/a/b/c");
        assert_eq!(absolute("/x", "/"), "/");
    }
}
