//! The `fs` global as Go's syscall/fs_js.go calls it: node's callback API
//! (`fs.open(path, flags, mode, callback)` … `callback(err)` / `callback(null, result)`),
//! `fs.writeSync` and `fs.constants`.
//!
//! node runs the operation on its thread pool and calls back later; the shim runs it at once
//! (WASI calls are synchronous) but still delivers the callback later, through the event queue
//! `next-event` drains, so Go sees the same ordering. Reads of stdin are the exception that
//! really waits: they complete when the event loop finds stdin readable.

use super::errors::FsError;
use super::flags::CONSTANTS;
use crate::shim::{go_native, Shim};
use js_realm::realm::{arg, invalid_arg_type, Realm};
use js_realm::sys::{self, Errno};
use js_realm::value::{to_number, JsResult, Kind, Obj, Value};

pub fn install(realm: &Realm) {
    let fs = realm.object().with_label("fs");
    let constants = realm.object().with_label("fs.constants");
    for (k, v) in CONSTANTS {
        constants.set(k, Value::Number(*v as f64));
    }
    fs.set("constants", constants.into());
    let methods: &[(&str, js_realm::NativeFn)] = &[
        ("open", go_native!(open)),
        ("close", go_native!(close)),
        ("read", go_native!(read)),
        ("write", go_native!(write)),
        ("writeSync", go_native!(write_sync)),
        ("fstat", go_native!(fstat)),
        ("stat", go_native!(|s, t, a| stat_common(s, t, a, "stat", true))),
        ("lstat", go_native!(|s, t, a| stat_common(s, t, a, "lstat", false))),
        ("readdir", go_native!(readdir)),
        ("mkdir", go_native!(mkdir)),
        ("rmdir", go_native!(rmdir)),
        ("unlink", go_native!(unlink)),
        ("rename", go_native!(rename)),
        ("link", go_native!(link)),
        ("symlink", go_native!(symlink)),
        ("readlink", go_native!(readlink)),
        ("chmod", go_native!(chmod)),
        ("fchmod", go_native!(fchmod)),
        ("chown", go_native!(|s, t, a| chown_common(s, t, a, "chown", true))),
        ("lchown", go_native!(|s, t, a| chown_common(s, t, a, "lchown", false))),
        ("fchown", go_native!(fchown)),
        ("truncate", go_native!(truncate)),
        ("ftruncate", go_native!(ftruncate)),
        ("fsync", go_native!(fsync)),
        ("utimes", go_native!(utimes)),
    ];
    for (name, f) in methods {
        realm.method(&fs, name, *f);
    }
    realm.global.set("fs", fs.into());
}

// ---- arguments (node validates synchronously and throws) ----

/// Number.MAX_SAFE_INTEGER.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The completion callback: node's last parameter; Go always passes it last.
fn callback(shim: &Shim, args: &[Value]) -> Result<Obj, Value> {
    match args.last() {
        Some(Value::Object(o)) if o.is_callable() => Ok(o.clone()),
        other => Err(invalid_arg_type(&shim.js.realm, "cb", "of type function", &other.cloned().unwrap_or_default())),
    }
}

/// A path argument: a string, or a Uint8Array (Buffer) of UTF-8.
fn path_arg(shim: &Shim, args: &[Value], i: usize, name: &str) -> Result<String, Value> {
    let v = arg(args, i);
    if let Value::String(s) = &v {
        return Ok(s.to_string());
    }
    if let Some(b) = v.as_object().and_then(|o| o.bytes()) {
        return Ok(String::from_utf8_lossy(&b).into_owned());
    }
    Err(invalid_arg_type(&shim.js.realm, name, "of type string or an instance of Buffer or URL", &v))
}

/// An fd argument: an int32 ≥ 0.
fn fd_arg(shim: &Shim, args: &[Value], i: usize) -> Result<i64, Value> {
    let v = arg(args, i);
    match v {
        Value::Number(n) if n.fract() == 0.0 && (0.0..=i32::MAX as f64).contains(&n) => Ok(n as i64),
        Value::Number(n) => Err(out_of_range(shim, "fd", ">= 0 && <= 2147483647", n)),
        v => Err(invalid_arg_type(&shim.js.realm, "fd", "of type number", &v)),
    }
}

/// A non-negative integer argument, `default` when undefined/null.
fn uint_arg(shim: &Shim, args: &[Value], i: usize, name: &str, default: u64) -> Result<u64, Value> {
    match arg(args, i) {
        Value::Undefined | Value::Null => Ok(default),
        Value::Number(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) => Ok(n as u64),
        Value::Number(n) => Err(out_of_range(shim, name, ">= 0 && <= 9007199254740991", n)),
        v => Err(invalid_arg_type(&shim.js.realm, name, "of type number", &v)),
    }
}

/// A mode argument: a number or an octal string; `default` when absent.
fn mode_arg(shim: &Shim, args: &[Value], i: usize, default: u32) -> Result<u32, Value> {
    match arg(args, i) {
        Value::Undefined | Value::Null => Ok(default),
        Value::Number(n) if n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n) => Ok(n as u32),
        Value::String(s) if u32::from_str_radix(&s, 8).is_ok() => Ok(u32::from_str_radix(&s, 8).unwrap_or(default)),
        // fs.mkdir(path, { mode, recursive }, cb): one level only (no recursion on cycles).
        Value::Object(o) if !o.is_callable() => match o.get("mode") {
            Value::Object(_) => Ok(default),
            m => mode_arg(shim, &[m], 0, default),
        },
        Value::Object(_) => Ok(default), // the callback in the mode's place
        v => Err(invalid_arg_type(&shim.js.realm, "mode", "a 32-bit unsigned integer or an octal string", &v)),
    }
}

/// A read/write position: null, undefined or -1 mean "at the file offset".
fn position_arg(shim: &Shim, args: &[Value], i: usize) -> Result<Option<u64>, Value> {
    match arg(args, i) {
        Value::Undefined | Value::Null => Ok(None),
        Value::Number(-1.0) => Ok(None),
        Value::Number(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) => Ok(Some(n as u64)),
        Value::Number(n) => Err(out_of_range(shim, "position", ">= -1 && <= 9007199254740991", n)),
        v => Err(invalid_arg_type(&shim.js.realm, "position", "of type number", &v)),
    }
}

/// node's ERR_OUT_OF_RANGE RangeError.
fn out_of_range(shim: &Shim, name: &str, range: &str, got: f64) -> Value {
    let msg = format!(
        "The value of \"{name}\" is out of range. It must be {range}. Received {}",
        js_realm::number::number_to_string(got)
    );
    let e = shim.js.realm.range_error(&msg);
    if let Value::Object(o) = &e {
        o.set("code", Value::str("ERR_OUT_OF_RANGE"));
    }
    e
}

/// A `(buffer, offset, length)` triple: the Uint8Array and the validated range in it.
fn buffer_range(shim: &Shim, args: &[Value], i: usize) -> Result<(Obj, usize, usize), Value> {
    let buf = match arg(args, i) {
        Value::Object(o) if o.bytes().is_some() => o,
        v => {
            return Err(invalid_arg_type(
                &shim.js.realm,
                "buffer",
                "an instance of Buffer, TypedArray, or DataView",
                &v,
            ))
        }
    };
    let size = buf.bytes().map_or(0, |b| b.len()) as u64;
    let offset = uint_arg(shim, args, i + 1, "offset", 0)?;
    if offset > size {
        return Err(out_of_range(shim, "offset", &format!(">= 0 && <= {size}"), offset as f64));
    }
    let length = uint_arg(shim, args, i + 2, "length", size - offset)?;
    if offset + length > size {
        return Err(out_of_range(shim, "length", &format!(">= 0 && <= {}", size - offset), length as f64));
    }
    Ok((buf, offset as usize, length as usize))
}

// ---- completion ----

/// Queues `callback(err)` / `callback(null, ...results)` for the event loop.
fn finish(shim: &mut Shim, cb: Obj, result: Result<Vec<Value>, FsError>) -> JsResult {
    let args = match result {
        Ok(mut results) => {
            results.insert(0, Value::Null);
            results
        }
        Err(e) => vec![e.to_js(shim)],
    };
    shim.queue_callback(cb, args);
    Ok(Value::Undefined)
}

/// A path operation with no result value.
fn path_op(
    shim: &mut Shim,
    args: &[Value],
    syscall: &'static str,
    op: impl FnOnce(&mut Shim, &str) -> Result<(), Errno>,
) -> JsResult {
    let cb = callback(shim, args)?;
    let p = path_arg(shim, args, 0, "path")?;
    let r = op(shim, &p).map(|()| vec![]).map_err(|c| FsError::new(c, syscall).path(&p));
    finish(shim, cb, r)
}

/// A descriptor operation with no result value.
fn fd_op(
    shim: &mut Shim,
    args: &[Value],
    syscall: &'static str,
    op: impl FnOnce(&mut Shim, i64) -> Result<(), Errno>,
) -> JsResult {
    let cb = callback(shim, args)?;
    let fd = fd_arg(shim, args, 0)?;
    let r = op(shim, fd).map(|()| vec![]).map_err(|c| FsError::new(c, syscall));
    finish(shim, cb, r)
}

// ---- the functions ----

/// fs.open(path, flags, mode, callback) → fd.
fn open(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let p = path_arg(shim, args, 0, "path")?;
    let flags = match arg(args, 1) {
        Value::Undefined | Value::Null => 0,
        Value::String(s) => string_flags(&s).ok_or_else(|| invalid_flags(shim, &s))?,
        v => to_number(&v) as i64,
    };
    let mode = mode_arg(shim, args, 2, 0o666)?;
    let umask = shim.process.umask;
    let r = shim.fs.open(&shim.process.cwd, &p, flags, mode, umask);
    let r = r.map(|fd| vec![Value::Number(fd as f64)]).map_err(|c| FsError::new(c, "open").path(&p));
    finish(shim, cb, r)
}

/// node's string flags ('r', 'w+', 'ax', …) as numbers.
fn string_flags(s: &str) -> Option<i64> {
    use super::flags::*;
    Some(match s {
        "r" | "rs" | "sr" => O_RDONLY,
        "r+" | "rs+" | "sr+" => O_RDWR,
        "w" => O_TRUNC | O_CREAT | O_WRONLY,
        "wx" | "xw" => O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
        "w+" => O_TRUNC | O_CREAT | O_RDWR,
        "wx+" | "xw+" => O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
        "a" => O_APPEND | O_CREAT | O_WRONLY,
        "ax" | "xa" | "as" | "sa" => O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
        "a+" => O_APPEND | O_CREAT | O_RDWR,
        "ax+" | "xa+" | "as+" | "sa+" => O_APPEND | O_CREAT | O_RDWR | O_EXCL,
        _ => return None,
    })
}

fn invalid_flags(shim: &Shim, s: &str) -> Value {
    let e = shim
        .js
        .realm
        .error(&shim.js.realm.type_error_proto, &format!("The value \"{s}\" is invalid for option \"flags\""));
    e.set("code", Value::str("ERR_INVALID_ARG_VALUE"));
    e.into()
}

fn close(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    fd_op(shim, args, "close", |s, fd| s.fs.close(fd))
}

/// fs.read(fd, buffer, offset, length, position, callback) → (bytesRead, buffer).
fn read(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let fd = fd_arg(shim, args, 0)?;
    let (buf, offset, length) = buffer_range(shim, args, 1)?;
    let position = position_arg(shim, args, 4)?;
    if length == 0 {
        return finish(shim, cb, Ok(vec![Value::Number(0.0), buf.into()]));
    }
    match shim.fs.std_target(fd) {
        Ok(Some(0)) if position.is_none() => {
            shim.read_stdin(buf, offset, length, cb);
            Ok(Value::Undefined)
        }
        Ok(Some(0)) => finish(shim, cb, Err(FsError::new("ESPIPE", "read"))),
        Ok(Some(_)) => finish(shim, cb, Err(FsError::new("EBADF", "read"))),
        Err(c) => finish(shim, cb, Err(FsError::new(c, "read"))),
        Ok(None) => {
            let r = shim.fs.read(fd, length, position).map(|data| {
                let n = copy_into(&buf, offset, &data);
                vec![Value::Number(n as f64), buf.clone().into()]
            });
            finish(shim, cb, r.map_err(|c| FsError::new(c, "read")))
        }
    }
}

/// Copies `data` into the Uint8Array at `offset`; the count copied.
pub fn copy_into(buf: &Obj, offset: usize, data: &[u8]) -> usize {
    let Some(mut b) = buf.bytes_mut() else {
        return 0;
    };
    let n = data.len().min(b.len().saturating_sub(offset));
    if n > 0 {
        b[offset..offset + n].copy_from_slice(&data[..n]);
    }
    n
}

/// Writes bytes to a descriptor: the stdout/stderr streams for 1 and 2 (and /dev/stdout,
/// /dev/stderr), files otherwise.
fn write_bytes(shim: &mut Shim, fd: i64, data: &[u8], position: Option<u64>) -> Result<usize, Errno> {
    match shim.fs.std_target(fd)? {
        Some(1) => sys::write_stdout(data).map(|()| data.len()),
        Some(2) => sys::write_stderr(data).map(|()| data.len()),
        Some(_) => Err("EBADF"),
        None => shim.fs.write(fd, data, position),
    }
}

/// The bytes a write call names: `(buffer, offset, length, position)` or `(string, position)`.
fn write_source(shim: &Shim, args: &[Value]) -> Result<(Source, Option<u64>), Value> {
    if let Value::String(s) = arg(args, 1) {
        let position = match arg(args, 2) {
            Value::Object(o) if o.is_callable() => None,
            _ => position_arg(shim, args, 2)?,
        };
        return Ok((Source::Text(s.to_string()), position));
    }
    let (buf, offset, length) = buffer_range(shim, args, 1)?;
    let position = match arg(args, 4) {
        Value::Object(o) if o.is_callable() => None,
        _ => position_arg(shim, args, 4)?,
    };
    Ok((Source::Buffer(buf, offset, length), position))
}

enum Source {
    Buffer(Obj, usize, usize),
    Text(String),
}

impl Source {
    fn write(&self, shim: &mut Shim, fd: i64, position: Option<u64>) -> Result<usize, Errno> {
        match self {
            Source::Buffer(buf, offset, length) => {
                // Borrowed, not copied: writing never touches JS objects.
                let Some(bytes) = buf.bytes() else {
                    return Err("EINVAL");
                };
                let slice = &bytes[*offset..*offset + *length];
                write_bytes(shim, fd, slice, position)
            }
            Source::Text(s) => write_bytes(shim, fd, s.as_bytes(), position),
        }
    }

    fn value(self) -> Value {
        match self {
            Source::Buffer(b, _, _) => b.into(),
            Source::Text(s) => Value::str(&s),
        }
    }
}

/// fs.write(fd, buffer, offset, length, position, callback) → (bytesWritten, buffer).
fn write(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let fd = fd_arg(shim, args, 0)?;
    let (src, position) = write_source(shim, args)?;
    let r = src.write(shim, fd, position);
    let r = r.map(|n| vec![Value::Number(n as f64), src.value()]).map_err(|c| FsError::new(c, "write"));
    finish(shim, cb, r)
}

/// fs.writeSync(fd, buffer[, offset[, length[, position]]]) → bytesWritten; throws on error.
fn write_sync(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let fd = fd_arg(shim, args, 0)?;
    let (src, position) = write_source(shim, args)?;
    match src.write(shim, fd, position) {
        Ok(n) => Ok(Value::Number(n as f64)),
        Err(c) => Err(FsError::new(c, "write").to_js(shim)),
    }
}

fn fstat(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let fd = fd_arg(shim, args, 0)?;
    let r = shim.fs.fstat(fd).map(|st| vec![st.to_js(&shim.stats_proto)]).map_err(|c| FsError::new(c, "fstat"));
    finish(shim, cb, r)
}

fn stat_common(shim: &mut Shim, _this: &Value, args: &[Value], syscall: &'static str, follow: bool) -> JsResult {
    let cb = callback(shim, args)?;
    let p = path_arg(shim, args, 0, "path")?;
    let r = shim.fs.stat(&shim.process.cwd, &p, follow);
    let r = r.map(|st| vec![st.to_js(&shim.stats_proto)]).map_err(|c| FsError::new(c, syscall).path(&p));
    finish(shim, cb, r)
}

/// fs.readdir(path[, options], callback) → names (strings; `withFileTypes` is not supported).
fn readdir(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let p = path_arg(shim, args, 0, "path")?;
    let r = shim.fs.readdir(&shim.process.cwd, &p).map(|names| {
        let items = names.iter().map(|n| Value::str(n)).collect();
        vec![shim.js.realm.array(items).into()]
    });
    finish(shim, cb, r.map_err(|c| FsError::new(c, "scandir").path(&p)))
}

/// fs.mkdir(path, mode, callback).
fn mkdir(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let mode = mode_arg(shim, args, 1, 0o777)?;
    path_op(shim, args, "mkdir", |s, p| s.fs.mkdir(&s.process.cwd, p, mode, s.process.umask))
}

fn rmdir(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    path_op(shim, args, "rmdir", |s, p| s.fs.rmdir(&s.process.cwd, p))
}

fn unlink(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    path_op(shim, args, "unlink", |s, p| s.fs.unlink(&s.process.cwd, p))
}

/// Two-path operations: rename(from, to), link(existing, new), symlink(target, path).
fn two_paths(
    shim: &mut Shim,
    args: &[Value],
    syscall: &'static str,
    names: (&str, &str),
    op: impl FnOnce(&mut Shim, &str, &str) -> Result<(), Errno>,
) -> JsResult {
    let cb = callback(shim, args)?;
    let a = path_arg(shim, args, 0, names.0)?;
    let b = path_arg(shim, args, 1, names.1)?;
    let r = op(shim, &a, &b).map(|()| vec![]).map_err(|c| FsError::new(c, syscall).path(&a).dest(&b));
    finish(shim, cb, r)
}

fn rename(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    two_paths(shim, args, "rename", ("oldPath", "newPath"), |s, a, b| s.fs.rename(&s.process.cwd, a, b))
}

fn link(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    two_paths(shim, args, "link", ("existingPath", "newPath"), |s, a, b| s.fs.link(&s.process.cwd, a, b))
}

fn symlink(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    two_paths(shim, args, "symlink", ("target", "path"), |s, a, b| s.fs.symlink(&s.process.cwd, a, b))
}

fn readlink(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let cb = callback(shim, args)?;
    let p = path_arg(shim, args, 0, "path")?;
    let r = shim.fs.readlink(&shim.process.cwd, &p).map(|t| vec![Value::str(&t)]);
    finish(shim, cb, r.map_err(|c| FsError::new(c, "readlink").path(&p)))
}

fn chmod(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let mode = mode_arg(shim, args, 1, 0)?;
    path_op(shim, args, "chmod", |s, p| s.fs.chmod(&s.process.cwd, p, mode))
}

fn fchmod(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let mode = mode_arg(shim, args, 1, 0)?;
    fd_op(shim, args, "fchmod", |s, fd| s.fs.fchmod(fd, mode))
}

fn chown_common(shim: &mut Shim, _this: &Value, args: &[Value], syscall: &'static str, follow: bool) -> JsResult {
    path_op(shim, args, syscall, |s, p| s.fs.chown(&s.process.cwd, p, follow))
}

fn fchown(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    fd_op(shim, args, "fchown", |s, fd| s.fs.fchown(fd))
}

fn truncate(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let len = len_arg(shim, args)?;
    path_op(shim, args, "open", |s, p| s.fs.truncate(&s.process.cwd, p, len))
}

fn ftruncate(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let len = len_arg(shim, args)?;
    fd_op(shim, args, "ftruncate", |s, fd| s.fs.ftruncate(fd, len))
}

/// truncate's length: node clamps negative lengths to 0.
fn len_arg(shim: &Shim, args: &[Value]) -> Result<u64, Value> {
    match arg(args, 1) {
        Value::Number(n) if n < 0.0 && n.fract() == 0.0 => Ok(0),
        Value::Object(o) if o.is_callable() => Ok(0),
        _ => uint_arg(shim, args, 1, "len", 0),
    }
}

fn fsync(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    fd_op(shim, args, "fsync", |s, fd| s.fs.fsync(fd))
}

/// fs.utimes(path, atime, mtime, callback): times in seconds (numbers, numeric strings or
/// Dates); node uses "now" for non-finite or negative numbers.
fn utimes(shim: &mut Shim, _this: &Value, args: &[Value]) -> JsResult {
    let atime = time_arg(shim, args, 1, "atime")?;
    let mtime = time_arg(shim, args, 2, "mtime")?;
    path_op(shim, args, "utime", |s, p| s.fs.utimes(&s.process.cwd, p, atime, mtime))
}

fn time_arg(shim: &Shim, args: &[Value], i: usize, name: &str) -> Result<f64, Value> {
    let now = || shim.js.clock.wall_ms() / 1000.0;
    match arg(args, i) {
        Value::Number(n) if n.is_finite() && n >= 0.0 => Ok(n),
        Value::Number(_) => Ok(now()),
        Value::String(s) if to_number(&Value::String(s.clone())).is_finite() => Ok(to_number(&Value::String(s))),
        Value::Object(o) if matches!(o.borrow().kind, Kind::Date(_)) => Ok(to_number(&o.clone().into()) / 1000.0),
        v => Err(invalid_arg_type(&shim.js.realm, name, "of type number or an instance of Date", &v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_flags_like_node() {
        use super::super::flags::*;
        assert_eq!(string_flags("r"), Some(0));
        assert_eq!(string_flags("w"), Some(O_TRUNC | O_CREAT | O_WRONLY));
        assert_eq!(string_flags("a+"), Some(O_APPEND | O_CREAT | O_RDWR));
        assert_eq!(string_flags("q"), None);
    }
}
