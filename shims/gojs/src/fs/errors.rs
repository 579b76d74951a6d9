//! node's fs errors: `Error` objects whose `code` is an errno name (Go's `mapJSError` looks it
//! up in `syscall.errnoByCode` and panics on a name it lacks, so only names from that table are
//! produced), with libuv's message text, a negative `errno`, `syscall`, `path` and `dest`.

use wasip2::filesystem::types::ErrorCode;

use crate::shim::Shim;
use js_realm::sys::Errno;
use js_realm::value::Value;

/// A failed fs call, before it becomes a JS `Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct FsError {
    pub code: Errno,
    pub syscall: &'static str,
    pub path: Option<String>,
    pub dest: Option<String>,
}

impl FsError {
    pub fn new(code: Errno, syscall: &'static str) -> FsError {
        FsError { code, syscall, path: None, dest: None }
    }

    pub fn path(mut self, p: &str) -> FsError {
        self.path = Some(p.to_string());
        self
    }

    pub fn dest(mut self, p: &str) -> FsError {
        self.dest = Some(p.to_string());
        self
    }

    /// "ENOENT: no such file or directory".
    fn describe(&self) -> String {
        format!("{}: {}", self.code, errno_info(self.code).1)
    }

    /// node's message: "ENOENT: no such file or directory, open 'a.txt'",
    /// "EXDEV: cross-device link not permitted, rename 'a' -> 'b'", "EBADF: bad file descriptor, read".
    pub fn message(&self) -> String {
        let mut m = format!("{}, {}", self.describe(), self.syscall);
        if let Some(p) = &self.path {
            m.push_str(&format!(" '{p}'"));
        }
        if let Some(d) = &self.dest {
            m.push_str(&format!(" -> '{d}'"));
        }
        m
    }

    pub fn to_js(&self, shim: &Shim) -> Value {
        let e = shim.js.realm.error(&shim.js.realm.error_proto, &self.message());
        e.set("errno", Value::Number(-(errno_info(self.code).0 as f64)));
        e.set("code", Value::str(self.code));
        e.set("syscall", Value::str(self.syscall));
        if let Some(p) = &self.path {
            e.set("path", Value::str(p));
        }
        if let Some(d) = &self.dest {
            e.set("dest", Value::str(d));
        }
        e.into()
    }
}

/// The node code for a `wasi:filesystem` error. Codes Go's table lacks map to the nearest
/// one it has (ENOTRECOVERABLE → EIO, ETXTBSY → EBUSY) so Go reports an error, not a panic.
pub fn from_wasi(e: ErrorCode) -> Errno {
    use ErrorCode::*;
    match e {
        Access => "EACCES",
        WouldBlock => "EAGAIN",
        Already => "EALREADY",
        BadDescriptor => "EBADF",
        Busy => "EBUSY",
        Deadlock => "EDEADLK",
        Quota => "EDQUOT",
        Exist => "EEXIST",
        FileTooLarge => "EFBIG",
        IllegalByteSequence => "EILSEQ",
        InProgress => "EINPROGRESS",
        Interrupted => "EINTR",
        Invalid => "EINVAL",
        Io => "EIO",
        IsDirectory => "EISDIR",
        Loop => "ELOOP",
        TooManyLinks => "EMLINK",
        MessageSize => "EMSGSIZE",
        NameTooLong => "ENAMETOOLONG",
        NoDevice => "ENODEV",
        NoEntry => "ENOENT",
        NoLock => "ENOLCK",
        InsufficientMemory => "ENOMEM",
        InsufficientSpace => "ENOSPC",
        NotDirectory => "ENOTDIR",
        NotEmpty => "ENOTEMPTY",
        NotRecoverable => "EIO",
        Unsupported => "ENOSYS",
        NoTty => "ENOTTY",
        NoSuchDevice => "ENXIO",
        Overflow => "EOVERFLOW",
        NotPermitted => "EPERM",
        Pipe => "EPIPE",
        ReadOnly => "EROFS",
        InvalidSeek => "ESPIPE",
        TextFileBusy => "EBUSY",
        CrossDevice => "EXDEV",
    }
}

/// Linux errno number and libuv's description (`uv_strerror`) for a code.
fn errno_info(code: &str) -> (i32, &'static str) {
    match code {
        "EPERM" => (1, "operation not permitted"),
        "ENOENT" => (2, "no such file or directory"),
        "EINTR" => (4, "interrupted system call"),
        "EIO" => (5, "i/o error"),
        "ENXIO" => (6, "no such device or address"),
        "EBADF" => (9, "bad file descriptor"),
        "EAGAIN" => (11, "resource temporarily unavailable"),
        "ENOMEM" => (12, "not enough memory"),
        "EACCES" => (13, "permission denied"),
        "EBUSY" => (16, "resource busy or locked"),
        "EEXIST" => (17, "file already exists"),
        "EXDEV" => (18, "cross-device link not permitted"),
        "ENODEV" => (19, "no such device"),
        "ENOTDIR" => (20, "not a directory"),
        "EISDIR" => (21, "illegal operation on a directory"),
        "EINVAL" => (22, "invalid argument"),
        "EMFILE" => (24, "too many open files"),
        "ENOTTY" => (25, "inappropriate ioctl for device"),
        "EFBIG" => (27, "file too large"),
        "ENOSPC" => (28, "no space left on device"),
        "ESPIPE" => (29, "invalid seek"),
        "EROFS" => (30, "read-only file system"),
        "EMLINK" => (31, "too many links"),
        "EPIPE" => (32, "broken pipe"),
        "EDEADLK" => (35, "resource deadlock avoided"),
        "ENAMETOOLONG" => (36, "name too long"),
        "ENOLCK" => (37, "no locks available"),
        "ENOSYS" => (38, "function not implemented"),
        "ENOTEMPTY" => (39, "directory not empty"),
        "ELOOP" => (40, "too many symbolic links encountered"),
        "EOVERFLOW" => (75, "value too large for defined data type"),
        "EILSEQ" => (84, "illegal byte sequence"),
        "EMSGSIZE" => (90, "message too long"),
        "EALREADY" => (114, "connection already in progress"),
        "EINPROGRESS" => (115, "operation in progress"),
        "EDQUOT" => (122, "disk quota exceeded"),
        _ => (0, "unknown error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the shim can produce is one Go's syscall.errnoByCode knows.
    #[test]
    fn codes_are_in_gos_table() {
        const GO_TABLE: &[&str] = &[
            "EPERM",
            "ENOENT",
            "EINTR",
            "EIO",
            "ENXIO",
            "EBADF",
            "EAGAIN",
            "ENOMEM",
            "EACCES",
            "EBUSY",
            "EEXIST",
            "EXDEV",
            "ENODEV",
            "ENOTDIR",
            "EISDIR",
            "EINVAL",
            "EMFILE",
            "ENOTTY",
            "EFBIG",
            "ENOSPC",
            "ESPIPE",
            "EROFS",
            "EMLINK",
            "EPIPE",
            "ENAMETOOLONG",
            "ENOSYS",
            "EDQUOT",
            "EDEADLK",
            "ENOLCK",
            "ENOTEMPTY",
            "ELOOP",
            "EOVERFLOW",
            "EILSEQ",
            "EMSGSIZE",
            "EALREADY",
            "EINPROGRESS",
        ];
        for i in 0..=36u8 {
            let e = unsafe { ErrorCode::_lift(i) };
            let code = from_wasi(e);
            assert!(GO_TABLE.contains(&code), "{code}");
            assert_ne!(errno_info(code).0, 0, "{code} has no errno");
        }
    }

    #[test]
    fn messages_like_node() {
        assert_eq!(
            FsError::new("ENOENT", "open").path("a.txt").message(),
            "ENOENT: no such file or directory, open 'a.txt'"
        );
        assert_eq!(
            FsError::new("EXDEV", "rename").path("a").dest("b").message(),
            "EXDEV: cross-device link not permitted, rename 'a' -> 'b'"
        );
        assert_eq!(FsError::new("EBADF", "read").message(), "EBADF: bad file descriptor, read");
    }
}
