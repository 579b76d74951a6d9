//! `fs.Stats`: the fields Go's syscall.setStat reads (dev ino mode nlink uid gid rdev size
//! blksize blocks atimeMs mtimeMs ctimeMs) and `isDirectory()` & co. on the prototype, as node.

use wasip2::filesystem::types::DescriptorType;

use js_realm::realm::Realm;
use js_realm::value::{to_number, JsResult, Obj, Value};
use js_realm::Host;

pub const S_IFMT: u32 = 0o170000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unknown,
    BlockDevice,
    CharacterDevice,
    Directory,
    Fifo,
    Symlink,
    File,
    Socket,
}

impl From<DescriptorType> for Kind {
    fn from(t: DescriptorType) -> Kind {
        match t {
            DescriptorType::Unknown => Kind::Unknown,
            DescriptorType::BlockDevice => Kind::BlockDevice,
            DescriptorType::CharacterDevice => Kind::CharacterDevice,
            DescriptorType::Directory => Kind::Directory,
            DescriptorType::Fifo => Kind::Fifo,
            DescriptorType::SymbolicLink => Kind::Symlink,
            DescriptorType::RegularFile => Kind::File,
            DescriptorType::Socket => Kind::Socket,
        }
    }
}

impl Kind {
    /// The S_IF* bits node puts in `mode`.
    fn type_bits(self) -> u32 {
        match self {
            Kind::Unknown => 0,
            Kind::Fifo => 0o010000,
            Kind::CharacterDevice => 0o020000,
            Kind::Directory => 0o040000,
            Kind::BlockDevice => 0o060000,
            Kind::File => 0o100000,
            Kind::Symlink => 0o120000,
            Kind::Socket => 0o140000,
        }
    }
}

/// What a stat call found.
#[derive(Debug, Clone, PartialEq)]
pub struct StatInfo {
    pub kind: Kind,
    pub nlink: u64,
    pub size: u64,
    pub atime_ms: f64,
    pub mtime_ms: f64,
    pub ctime_ms: f64,
    pub ino: u64,
    /// Permission bits (emulated, see the fs module).
    pub perm: u32,
    /// Device number of a device file (Linux `makedev` encoding).
    pub rdev: u64,
}

impl StatInfo {
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Directory
    }

    pub fn mode(&self) -> u32 {
        self.kind.type_bits() | self.perm
    }

    /// fstat of stdin/stdout/stderr: a terminal (character device, 0o620) or a pipe (0o600).
    pub fn stdio(fd: i64, terminal: bool) -> StatInfo {
        let (kind, perm) = if terminal { (Kind::CharacterDevice, 0o620) } else { (Kind::Fifo, 0o600) };
        StatInfo {
            kind,
            nlink: 1,
            size: 0,
            atime_ms: 0.0,
            mtime_ms: 0.0,
            ctime_ms: 0.0,
            ino: fd as u64 + 1,
            perm,
            rdev: 0,
        }
    }

    /// A virtual directory (`/` and the other ancestors of preopens).
    pub fn virtual_dir(ino: u64) -> StatInfo {
        StatInfo {
            kind: Kind::Directory,
            nlink: 2,
            size: 0,
            atime_ms: 0.0,
            mtime_ms: 0.0,
            ctime_ms: 0.0,
            ino,
            perm: 0o755,
            rdev: 0,
        }
    }

    /// `/dev/null`: a character device 1,3, mode 0o666, as on Linux.
    /// A memory character device (major 1): /dev/null is minor 3, /dev/zero minor 5.
    pub fn null_device(ino: u64, minor: u64) -> StatInfo {
        StatInfo {
            kind: Kind::CharacterDevice,
            nlink: 1,
            size: 0,
            atime_ms: 0.0,
            mtime_ms: 0.0,
            ctime_ms: 0.0,
            ino,
            perm: 0o666,
            rdev: (1 << 8) | minor,
        }
    }

    /// The `fs.Stats` object. WASI has no device numbers or owners: dev is 0 (rdev too, but
    /// for emulated devices), and uid/gid 0: root, as `process.getuid()` & co. report.
    /// `proto`: `fs.Stats.prototype` ([`new_proto`]).
    pub fn to_js(&self, proto: &Obj) -> Value {
        let n = |x: f64| Value::Number(x);
        let st = Obj::new(Some(proto), js_realm::value::Kind::Ordinary);
        for (k, v) in [
            ("dev", n(0.0)),
            ("mode", n(self.mode() as f64)),
            ("nlink", n(self.nlink as f64)),
            ("uid", n(0.0)),
            ("gid", n(0.0)),
            ("rdev", n(self.rdev as f64)),
            ("blksize", n(4096.0)),
            ("ino", n(self.ino as f64)),
            ("size", n(self.size as f64)),
            ("blocks", n(self.size.div_ceil(512) as f64)),
            ("atimeMs", n(self.atime_ms)),
            ("mtimeMs", n(self.mtime_ms)),
            ("ctimeMs", n(self.ctime_ms)),
            ("birthtimeMs", n(self.ctime_ms)),
        ] {
            st.set(k, v);
        }
        st.into()
    }
}

/// `fs.Stats.prototype` (isDirectory() and friends).
pub fn new_proto(realm: &Realm) -> Obj {
    let p = &realm.proto();
    realm.method(p, "isDirectory", |s, t, _| is(s, t, Kind::Directory));
    realm.method(p, "isFile", |s, t, _| is(s, t, Kind::File));
    realm.method(p, "isSymbolicLink", |s, t, _| is(s, t, Kind::Symlink));
    realm.method(p, "isFIFO", |s, t, _| is(s, t, Kind::Fifo));
    realm.method(p, "isSocket", |s, t, _| is(s, t, Kind::Socket));
    realm.method(p, "isCharacterDevice", |s, t, _| is(s, t, Kind::CharacterDevice));
    realm.method(p, "isBlockDevice", |s, t, _| is(s, t, Kind::BlockDevice));
    p.clone()
}

/// node's `(this.mode & S_IFMT) === S_IFxxx`.
fn is(_host: &mut dyn Host, this: &Value, kind: Kind) -> JsResult {
    let mode = to_number(&this.get("mode"));
    let bits = if mode.is_finite() { mode as u32 & S_IFMT } else { 0 };
    Ok(Value::Bool(bits == kind.type_bits() && bits != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_carry_type_bits() {
        let mut st = StatInfo::stdio(1, false);
        assert_eq!(st.mode(), 0o010600);
        st.kind = Kind::Directory;
        st.perm = 0o755;
        assert_eq!(st.mode(), 0o040755);
        assert!(st.is_dir());
        st.kind = Kind::File;
        st.perm = 0o644;
        assert_eq!(st.mode(), 0o100644);
        assert_eq!(StatInfo::stdio(0, true).mode(), 0o020620);
    }
}
