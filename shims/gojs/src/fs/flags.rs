//! `fs.constants` and the translation of node's numeric open flags (Linux values, which Go's
//! syscall.Open builds from `fs.constants`) into `wasi:filesystem` open-at arguments.

use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};

pub const O_RDONLY: i64 = 0;
pub const O_WRONLY: i64 = 1;
pub const O_RDWR: i64 = 2;
pub const O_CREAT: i64 = 0o100;
pub const O_EXCL: i64 = 0o200;
pub const O_NOCTTY: i64 = 0o400;
pub const O_TRUNC: i64 = 0o1000;
pub const O_APPEND: i64 = 0o2000;
pub const O_DIRECTORY: i64 = 0o200000;
pub const O_NOFOLLOW: i64 = 0o400000;
pub const O_SYNC: i64 = 0o4010000;
pub const O_DSYNC: i64 = 0o10000;

/// The `fs.constants` entries: node's Linux values, plain numbers (Go calls `.Int()` on them
/// at package init).
pub const CONSTANTS: &[(&str, i64)] = &[
    ("O_RDONLY", O_RDONLY),
    ("O_WRONLY", O_WRONLY),
    ("O_RDWR", O_RDWR),
    ("O_CREAT", O_CREAT),
    ("O_EXCL", O_EXCL),
    ("O_NOCTTY", O_NOCTTY),
    ("O_TRUNC", O_TRUNC),
    ("O_APPEND", O_APPEND),
    ("O_DIRECTORY", O_DIRECTORY),
    ("O_NOFOLLOW", O_NOFOLLOW),
    ("O_SYNC", O_SYNC),
    ("O_DSYNC", O_DSYNC),
    ("S_IFMT", 0o170000),
    ("S_IFREG", 0o100000),
    ("S_IFDIR", 0o040000),
    ("S_IFCHR", 0o020000),
    ("S_IFBLK", 0o060000),
    ("S_IFIFO", 0o010000),
    ("S_IFLNK", 0o120000),
    ("S_IFSOCK", 0o140000),
    ("F_OK", 0),
    ("R_OK", 4),
    ("W_OK", 2),
    ("X_OK", 1),
];

/// How to open a file for a node flags value.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenMode {
    pub path: PathFlags,
    pub open: OpenFlags,
    pub access: DescriptorFlags,
    /// O_APPEND: every write goes to the end (WASI has no append flag on descriptors).
    pub append: bool,
}

/// Translates node `flags`; None for an access mode of 3 (invalid, EINVAL as on Linux).
pub fn open_mode(flags: i64) -> Option<OpenMode> {
    let access = match flags & 3 {
        O_RDONLY => DescriptorFlags::READ,
        O_WRONLY => DescriptorFlags::WRITE,
        O_RDWR => DescriptorFlags::READ | DescriptorFlags::WRITE,
        _ => return None,
    };
    let mut open = OpenFlags::empty();
    for (bit, f) in [
        (O_CREAT, OpenFlags::CREATE),
        (O_EXCL, OpenFlags::EXCLUSIVE),
        (O_TRUNC, OpenFlags::TRUNCATE),
        (O_DIRECTORY, OpenFlags::DIRECTORY),
    ] {
        if flags & bit != 0 {
            open |= f;
        }
    }
    let mut access = access;
    if flags & O_SYNC == O_SYNC {
        access |= DescriptorFlags::FILE_INTEGRITY_SYNC;
    } else if flags & O_DSYNC != 0 {
        access |= DescriptorFlags::DATA_INTEGRITY_SYNC;
    }
    let path = if flags & O_NOFOLLOW != 0 { PathFlags::empty() } else { PathFlags::SYMLINK_FOLLOW };
    Some(OpenMode { path, open, access, append: flags & O_APPEND != 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_open_modes() {
        // os.Open
        let m = open_mode(O_RDONLY).unwrap();
        assert_eq!((m.open, m.access, m.append), (OpenFlags::empty(), DescriptorFlags::READ, false));
        assert_eq!(m.path, PathFlags::SYMLINK_FOLLOW);
        // os.Create: O_RDWR|O_CREATE|O_TRUNC
        let m = open_mode(O_RDWR | O_CREAT | O_TRUNC).unwrap();
        assert_eq!(m.open, OpenFlags::CREATE | OpenFlags::TRUNCATE);
        assert_eq!(m.access, DescriptorFlags::READ | DescriptorFlags::WRITE);
        // append-only logs: O_WRONLY|O_CREATE|O_APPEND
        let m = open_mode(O_WRONLY | O_CREAT | O_APPEND).unwrap();
        assert_eq!((m.open, m.access, m.append), (OpenFlags::CREATE, DescriptorFlags::WRITE, true));
        // exclusive create, directories, nofollow, sync
        assert_eq!(open_mode(O_WRONLY | O_CREAT | O_EXCL).unwrap().open, OpenFlags::CREATE | OpenFlags::EXCLUSIVE);
        assert_eq!(open_mode(O_DIRECTORY).unwrap().open, OpenFlags::DIRECTORY);
        assert_eq!(open_mode(O_NOFOLLOW).unwrap().path, PathFlags::empty());
        assert!(open_mode(O_WRONLY | O_SYNC).unwrap().access.contains(DescriptorFlags::FILE_INTEGRITY_SYNC));
        assert_eq!(open_mode(3), None);
    }

    #[test]
    fn constants_are_nodes_linux_values() {
        let get = |n: &str| CONSTANTS.iter().find(|(k, _)| *k == n).unwrap().1;
        assert_eq!(
            [
                get("O_RDONLY"),
                get("O_WRONLY"),
                get("O_RDWR"),
                get("O_CREAT"),
                get("O_EXCL"),
                get("O_TRUNC"),
                get("O_APPEND"),
                get("O_DIRECTORY")
            ],
            [0, 1, 2, 64, 128, 512, 1024, 65536]
        );
    }
}
