//! `process`: what Go's syscall package reads (syscall_js.go, fs_js.go) — `pid`, `ppid`,
//! `getuid`/`getgid`/`geteuid`/`getegid`, `getgroups`, `umask`, `cwd`, `chdir` — plus `argv0`,
//! which net/http inspects.
//!
//! WASI has no processes, users or working directory, so:
//! - `pid`/`ppid` are -1: wasm_exec.js's own fallback `process` values.
//! - the user is root: `getuid`/`getgid`/`geteuid`/`getegid` are 0 and `getgroups` is [0].
//!   A WASI sandbox enforces no permission bits, which is root's view of files; files are
//!   owned by 0 in `fs` Stats and chown succeeds, so Go's own checks agree with each other
//!   (tests that need permission checks skip themselves for root, as they do under node
//!   run as root).
//! - `umask` is emulated (starts at 0o022, node's usual) and applies to the modes the shim
//!   records for files it creates (see `fs`).
//! - the current directory is emulated: it starts at `wasi:cli/environment.initial-cwd`, else
//!   `$PWD`, else "/" (absolute values only), and `chdir` checks the target through `fs`.

use crate::fs::errors::FsError;
use crate::path;
use crate::shim::{go_native, Shim};
use js_realm::number;
use js_realm::realm::{arg, invalid_arg_type, Realm};
use js_realm::sys::{self, Startup};
use js_realm::value::{to_number, JsResult, Value};

pub struct Process {
    /// Absolute and normalised.
    pub cwd: String,
    pub umask: u32,
}

impl Process {
    pub fn new(host: &Startup) -> Process {
        Process { cwd: initial_cwd(host), umask: 0o022 }
    }
}

fn initial_cwd(host: &Startup) -> String {
    [host.initial_cwd.as_deref(), host.var("PWD")]
        .into_iter()
        .flatten()
        .find(|p| p.starts_with('/'))
        .map_or_else(|| "/".to_string(), |p| path::absolute("/", p))
}

pub fn install(realm: &Realm, host: &Startup) {
    let env = realm.object().with_label("process.env");
    for (k, v) in &host.env {
        env.set(k, Value::str(v));
    }
    // node's argv is [execPath, script, ...]; here the WASI arguments follow "node".
    let argv = std::iter::once(Value::str("node")).chain(host.args.iter().map(|a| Value::str(a))).collect();
    let process = realm.object_with(
        "process",
        [
            // "node" makes net/http use its fake in-process network, as under node.
            ("argv0", Value::str("node")),
            ("title", Value::str("node")),
            ("platform", Value::str("linux")),
            ("argv", realm.array(argv).into()),
            ("env", env.into()),
            ("pid", Value::Number(-1.0)),
            ("ppid", Value::Number(-1.0)),
        ],
    );
    for name in ["getuid", "getgid", "geteuid", "getegid"] {
        realm.method(&process, name, go_native!(root_id));
    }
    realm.method(&process, "getgroups", go_native!(getgroups));
    realm.method(&process, "umask", go_native!(umask));
    realm.method(&process, "cwd", go_native!(cwd));
    realm.method(&process, "chdir", go_native!(chdir));
    realm.method(&process, "exit", go_native!(exit));
    realm.global.set("process", process.into());
}

/// Every user and group id: 0, root (see the module comment).
fn root_id(_shim: &mut Shim, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::Number(0.0))
}

/// `process.getgroups()`: root's supplementary groups, [0].
fn getgroups(shim: &mut Shim, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(shim.js.realm.array(vec![Value::Number(0.0)]).into())
}

/// `process.umask([mask])`: the previous mask; sets the new one when given.
fn umask(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let old = shim.process.umask;
    match arg(args, 0) {
        Value::Undefined => {}
        Value::String(s) => match u32::from_str_radix(&s, 8) {
            Ok(m) => shim.process.umask = m & 0o777,
            Err(_) => {
                return Err(invalid_arg_type(
                    &shim.js.realm,
                    "mask",
                    "a 32-bit unsigned integer or an octal string",
                    &Value::String(s),
                ))
            }
        },
        v => {
            let m = to_number(&v);
            if !m.is_finite() || m < 0.0 || m > u32::MAX as f64 {
                return Err(invalid_arg_type(
                    &shim.js.realm,
                    "mask",
                    "a 32-bit unsigned integer or an octal string",
                    &v,
                ));
            }
            shim.process.umask = m as u32 & 0o777;
        }
    }
    Ok(Value::Number(old as f64))
}

fn cwd(shim: &mut Shim, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::str(&shim.process.cwd))
}

/// `process.chdir(dir)`: the emulated cwd moves to an existing directory, and (as getcwd(3)
/// reports it under node) becomes its physical path, every symlink resolved.
fn chdir(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let dir = match arg(args, 0) {
        Value::String(s) => s,
        v => return Err(invalid_arg_type(&shim.js.realm, "directory", "of type string", &v)),
    };
    match shim.fs.chdir_target(&shim.process.cwd, &dir) {
        Ok(target) => {
            shim.process.cwd = target;
            Ok(Value::Undefined)
        }
        // node: "ENOENT: no such file or directory, chdir '/home/u' -> 'nope'" (path is the cwd).
        Err(code) => Err(FsError::new(code, "chdir").path(&shim.process.cwd).dest(&dir).to_js(shim)),
    }
}

/// `process.exit([code])`.
fn exit(_shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let code = number::to_i64(to_number(&arg(args, 0)));
    sys::exit(code as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_from_initial_cwd_then_pwd() {
        let mut h = Startup::for_tests(&[], &[("PWD", "/home/u/")]);
        assert_eq!(initial_cwd(&h), "/home/u");
        h.initial_cwd = Some("/work/./x".into());
        assert_eq!(initial_cwd(&h), "/work/x");
        h.initial_cwd = Some("relative".into());
        assert_eq!(initial_cwd(&h), "/home/u");
        let h = Startup::for_tests(&[], &[("PWD", "nope")]);
        assert_eq!(initial_cwd(&h), "/");
    }
}
