//! node's `fs` on `wasi:filesystem`: the state (preopens, open files, emulated modes) and the
//! operations, each returning node's errno name on failure. `node` turns them into the
//! callback-style JS functions Go's syscall/fs_js.go calls; `stats` builds `fs.Stats`.
//!
//! Paths: Go's path is joined to the emulated cwd and normalised lexically (`..` cannot climb
//! out of a preopen, which WASI forbids anyway, but it also does not follow a symlink back up as
//! POSIX would), then resolved against the preopen whose guest path is the longest prefix
//! (a preopen named "." or relative is mounted at the initial cwd). Outside every preopen:
//! EACCES, which Go reports as a permission error.
//!
//! Modes: WASI has no permission bits. Stats show 0o644 for files, 0o755 for directories and
//! 0o777 for symlinks, except where this process chose a mode (open/mkdir with a mode that,
//! after umask, differs from those; chmod/fchmod): those are remembered per file (by
//! metadata hash) for the life of the process, not persisted and not enforced — what a root
//! user sees under node, where permission checks do not apply either.

pub mod errors;
pub mod flags;
mod node;
mod stats;

use std::collections::HashMap;

use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, NewTimestamp,
    OpenFlags, PathFlags,
};

use crate::path;
use crate::sys::{self, Errno};
use errors::from_wasi;

pub use node::{copy_into, install};
pub use stats::StatInfo;

const DEFAULT_FILE_PERM: u32 = 0o644;
const DEFAULT_DIR_PERM: u32 = 0o755;
const SYMLINK_PERM: u32 = 0o777;

struct Preopen {
    /// Normalised absolute guest path.
    guest: String,
    dir: Descriptor,
}

struct File {
    desc: Descriptor,
    /// O_APPEND: writes go to the end of the file.
    append: bool,
    /// The file offset sequential reads and writes (position null) use and advance.
    pos: u64,
}

pub struct Fs {
    preopens: Vec<Preopen>,
    /// Indexed by fd; 0, 1 and 2 (stdio) are never here.
    files: Vec<Option<File>>,
    /// fs.close(0|1|2) happened: later use is EBADF, as for a closed descriptor under node.
    std_closed: [bool; 3],
    /// Permission bits chosen in this process, by inode (low 53 bits of the metadata hash).
    modes: HashMap<u64, u32>,
    /// Symlinks created with an absolute target, which WASI refuses: stored relative to the
    /// link, by (preopen, link path) → (stored target, original). readlink gives back the
    /// original while the link still holds the stored text.
    absolute_links: HashMap<(usize, String), (String, String)>,
}

impl Fs {
    /// `preopens` as WASI lists them; relative guest paths are mounted below `cwd`.
    pub fn new(preopens: Vec<(Descriptor, String)>, cwd: &str) -> Fs {
        let preopens = preopens
            .into_iter()
            .map(|(dir, name)| Preopen {
                guest: path::absolute(cwd, &name),
                dir,
            })
            .collect();
        Fs {
            preopens,
            files: Vec::new(),
            std_closed: [false; 3],
            modes: HashMap::new(),
            absolute_links: HashMap::new(),
        }
    }

    /// The preopen and relative path `p` (relative to `cwd`) refers to.
    fn locate(&self, cwd: &str, p: &str) -> Result<(&Descriptor, String), Errno> {
        let (i, rel) = self.locate_index(cwd, p)?;
        Ok((&self.preopens[i].dir, rel))
    }

    fn locate_index(&self, cwd: &str, p: &str) -> Result<(usize, String), Errno> {
        let abs = path::absolute(cwd, p);
        let (i, rest) =
            best_preopen(self.preopens.iter().map(|p| p.guest.as_str()), &abs).ok_or("EACCES")?;
        let mut rel = if rest.is_empty() {
            ".".to_string()
        } else {
            rest.to_string()
        };
        // "file/" must fail with ENOTDIR as it does natively: keep the trailing slash.
        if p.ends_with('/') && rel != "." {
            rel.push('/');
        }
        Ok((i, rel))
    }

    fn file(&self, fd: i64) -> Result<&File, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.files.get(i))
            .and_then(Option::as_ref)
            .ok_or("EBADF")
    }

    fn file_mut(&mut self, fd: i64) -> Result<&mut File, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.files.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or("EBADF")
    }

    /// Whether `fd` is an open stdio descriptor (0, 1, 2 not closed).
    pub fn is_std(&self, fd: i64) -> Result<bool, Errno> {
        match fd {
            0..=2 if self.std_closed[fd as usize] => Err("EBADF"),
            0..=2 => Ok(true),
            _ => Ok(false),
        }
    }

    fn info(&self, st: DescriptorStat, hash: Option<u64>) -> StatInfo {
        let ino = hash.unwrap_or(0);
        let perm = match st.type_ {
            DescriptorType::SymbolicLink => SYMLINK_PERM,
            DescriptorType::Directory => self.modes.get(&ino).copied().unwrap_or(DEFAULT_DIR_PERM),
            _ => self.modes.get(&ino).copied().unwrap_or(DEFAULT_FILE_PERM),
        };
        StatInfo {
            kind: stats::Kind::from(st.type_),
            nlink: st.link_count,
            size: st.size,
            atime_ms: ms(st.data_access_timestamp),
            mtime_ms: ms(st.data_modification_timestamp),
            ctime_ms: ms(st.status_change_timestamp),
            ino,
            perm,
        }
    }

    /// stat (follow) / lstat (no follow).
    pub fn stat(&self, cwd: &str, p: &str, follow: bool) -> Result<StatInfo, Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let flags = if follow {
            PathFlags::SYMLINK_FOLLOW
        } else {
            PathFlags::empty()
        };
        let st = dir.stat_at(flags, &rel).map_err(from_wasi)?;
        let hash = dir.metadata_hash_at(flags, &rel).ok().map(|h| ino(h.lower));
        Ok(self.info(st, hash))
    }

    pub fn fstat(&self, fd: i64) -> Result<StatInfo, Errno> {
        if self.is_std(fd)? {
            return Ok(StatInfo::stdio(fd, sys::is_terminal(fd as i32)));
        }
        let f = self.file(fd)?;
        let st = f.desc.stat().map_err(from_wasi)?;
        let hash = f.desc.metadata_hash().ok().map(|h| ino(h.lower));
        Ok(self.info(st, hash))
    }

    pub fn open(
        &mut self,
        cwd: &str,
        p: &str,
        flags: i64,
        mode: u32,
        umask: u32,
    ) -> Result<i64, Errno> {
        let m = flags::open_mode(flags).ok_or("EINVAL")?;
        let perm = mode & 0o7777 & !umask;
        let creating = m.open.contains(OpenFlags::CREATE);
        // Knowing whether the file was created costs a second call when it exists, so only
        // find out when there is a mode to remember (or a stale one to forget).
        let track = creating && (perm != DEFAULT_FILE_PERM || !self.modes.is_empty());
        let (dir, rel) = self.locate(cwd, p)?;
        let (desc, created) = if track && !m.open.contains(OpenFlags::EXCLUSIVE) {
            match dir.open_at(m.path, &rel, m.open | OpenFlags::EXCLUSIVE, m.access) {
                Ok(d) => (d, true),
                Err(ErrorCode::Exist) => (
                    dir.open_at(m.path, &rel, m.open - OpenFlags::CREATE, m.access)
                        .map_err(from_wasi)?,
                    false,
                ),
                Err(e) => return Err(from_wasi(e)),
            }
        } else {
            (
                dir.open_at(m.path, &rel, m.open, m.access)
                    .map_err(from_wasi)?,
                creating,
            )
        };
        if track && created {
            if let Ok(h) = desc.metadata_hash() {
                self.remember(ino(h.lower), perm, DEFAULT_FILE_PERM);
            }
        }
        Ok(self.insert(File {
            desc,
            append: m.append,
            pos: 0,
        }))
    }

    fn remember(&mut self, ino: u64, perm: u32, default: u32) {
        if perm == default {
            self.modes.remove(&ino);
        } else {
            self.modes.insert(ino, perm);
        }
    }

    /// The lowest free descriptor from 3, as POSIX (and so node) hands them out.
    fn insert(&mut self, f: File) -> i64 {
        if self.files.len() < 3 {
            self.files.resize_with(3, || None);
        }
        match self.files.iter().skip(3).position(Option::is_none) {
            Some(i) => {
                self.files[i + 3] = Some(f);
                (i + 3) as i64
            }
            None => {
                self.files.push(Some(f));
                (self.files.len() - 1) as i64
            }
        }
    }

    pub fn close(&mut self, fd: i64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            self.std_closed[fd as usize] = true;
            return Ok(());
        }
        self.file(fd)?;
        self.files[fd as usize] = None; // dropping the descriptor closes it
        Ok(())
    }

    /// Reads up to `len` bytes of a file (fd ≥ 3) at `position`, or at and advancing its offset.
    pub fn read(&mut self, fd: i64, len: usize, position: Option<u64>) -> Result<Vec<u8>, Errno> {
        let f = self.file_mut(fd)?;
        let off = position.unwrap_or(f.pos);
        let (data, _eof) = match f.desc.read(len as u64, off) {
            Ok(r) => r,
            Err(e) => return Err(dir_aware(&f.desc, e)),
        };
        if position.is_none() {
            f.pos = off + data.len() as u64;
        }
        Ok(data)
    }

    /// Writes all of `data` to a file (fd ≥ 3): at the end with O_APPEND (Linux ignores the
    /// position then too), else at `position` or at and advancing its offset.
    pub fn write(&mut self, fd: i64, data: &[u8], position: Option<u64>) -> Result<usize, Errno> {
        let f = self.file_mut(fd)?;
        if f.append {
            let out = f
                .desc
                .append_via_stream()
                .map_err(|e| dir_aware(&f.desc, e))?;
            let mut rest = data;
            while !rest.is_empty() {
                let n = (rest.len()).min(4096);
                out.blocking_write_and_flush(&rest[..n])
                    .map_err(|_| "EIO")?;
                rest = &rest[n..];
            }
            return Ok(data.len());
        }
        let mut off = position.unwrap_or(f.pos);
        let mut done = 0;
        while done < data.len() {
            let n = f
                .desc
                .write(&data[done..], off)
                .map_err(|e| dir_aware(&f.desc, e))? as usize;
            if n == 0 {
                break;
            }
            done += n;
            off += n as u64;
        }
        if position.is_none() {
            f.pos = off;
        }
        Ok(done)
    }

    /// Entry names, sorted bytewise as libuv's scandir returns them ("." and ".." excluded).
    pub fn readdir(&self, cwd: &str, p: &str) -> Result<Vec<String>, Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let opened;
        let d = if rel == "." {
            dir
        } else {
            opened = dir
                .open_at(
                    PathFlags::SYMLINK_FOLLOW,
                    &rel,
                    OpenFlags::DIRECTORY,
                    DescriptorFlags::READ,
                )
                .map_err(from_wasi)?;
            &opened
        };
        let stream = d.read_directory().map_err(from_wasi)?;
        let mut names = Vec::new();
        while let Some(e) = stream.read_directory_entry().map_err(from_wasi)? {
            if e.name != "." && e.name != ".." {
                names.push(e.name);
            }
        }
        names.sort_unstable();
        Ok(names)
    }

    pub fn mkdir(&mut self, cwd: &str, p: &str, mode: u32, umask: u32) -> Result<(), Errno> {
        let perm = mode & 0o7777 & !umask;
        let (dir, rel) = self.locate(cwd, p)?;
        dir.create_directory_at(&rel).map_err(from_wasi)?;
        if perm != DEFAULT_DIR_PERM || !self.modes.is_empty() {
            if let Ok(h) = dir.metadata_hash_at(PathFlags::empty(), &rel) {
                self.remember(ino(h.lower), perm, DEFAULT_DIR_PERM);
            }
        }
        Ok(())
    }

    /// The inode a path names (no follow), when modes are being tracked and it would be freed.
    fn doomed_inode(&self, dir: &Descriptor, rel: &str) -> Option<u64> {
        if self.modes.is_empty() {
            return None;
        }
        let st = dir.stat_at(PathFlags::empty(), rel).ok()?;
        if st.type_ != DescriptorType::Directory && st.link_count > 1 {
            return None;
        }
        dir.metadata_hash_at(PathFlags::empty(), rel)
            .ok()
            .map(|h| ino(h.lower))
    }

    pub fn rmdir(&mut self, cwd: &str, p: &str) -> Result<(), Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let doomed = self.doomed_inode(dir, &rel);
        dir.remove_directory_at(&rel).map_err(from_wasi)?;
        if let Some(i) = doomed {
            self.modes.remove(&i);
        }
        Ok(())
    }

    pub fn unlink(&mut self, cwd: &str, p: &str) -> Result<(), Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let doomed = self.doomed_inode(dir, &rel);
        dir.unlink_file_at(&rel).map_err(from_wasi)?;
        if let Some(i) = doomed {
            self.modes.remove(&i);
        }
        Ok(())
    }

    pub fn rename(&mut self, cwd: &str, from: &str, to: &str) -> Result<(), Errno> {
        let (src, src_rel) = self.locate(cwd, from)?;
        let (dst, dst_rel) = self.locate(cwd, to)?;
        // Different preopens are different "devices" to the guest.
        if !std::ptr::eq(src, dst) {
            return Err("EXDEV");
        }
        let doomed = self.doomed_inode(dst, &dst_rel);
        src.rename_at(&src_rel, dst, &dst_rel).map_err(from_wasi)?;
        if let Some(i) = doomed {
            self.modes.remove(&i);
        }
        Ok(())
    }

    /// link(existing, new): a hard link.
    pub fn link(&self, cwd: &str, existing: &str, new: &str) -> Result<(), Errno> {
        let (src, src_rel) = self.locate(cwd, existing)?;
        let (dst, dst_rel) = self.locate(cwd, new)?;
        if !std::ptr::eq(src, dst) {
            return Err("EXDEV");
        }
        src.link_at(PathFlags::empty(), &src_rel, dst, &dst_rel)
            .map_err(from_wasi)
    }

    /// symlink(target, path): `target` is stored as given, except that an absolute target
    /// (which WASI hosts refuse) inside the link's own preopen is stored relative to the link.
    pub fn symlink(&mut self, cwd: &str, target: &str, p: &str) -> Result<(), Errno> {
        let (i, rel) = self.locate_index(cwd, p)?;
        let dir = &self.preopens[i].dir;
        match dir.symlink_at(target, &rel) {
            Err(ErrorCode::NotPermitted | ErrorCode::Access) if target.starts_with('/') => {
                let abs = path::absolute("/", target);
                let guests = self.preopens.iter().map(|p| p.guest.as_str());
                let Some((_, target_rel)) = best_preopen(guests, &abs).filter(|(j, _)| *j == i)
                else {
                    return Err("EPERM");
                };
                let link_rel = rel.trim_end_matches('/');
                let link_dir = link_rel.rsplit_once('/').map_or("", |(d, _)| d);
                let stored = relative_path(link_dir, target_rel);
                dir.symlink_at(&stored, link_rel).map_err(from_wasi)?;
                self.absolute_links
                    .insert((i, link_rel.to_string()), (stored, target.to_string()));
                Ok(())
            }
            r => r.map_err(from_wasi),
        }
    }

    pub fn readlink(&self, cwd: &str, p: &str) -> Result<String, Errno> {
        let (i, rel) = self.locate_index(cwd, p)?;
        let text = self.preopens[i].dir.readlink_at(&rel).map_err(from_wasi)?;
        match self
            .absolute_links
            .get(&(i, rel.trim_end_matches('/').to_string()))
        {
            Some((stored, original)) if *stored == text => Ok(original.clone()),
            _ => Ok(text),
        }
    }

    /// chmod (emulated): remembers `mode` for the file `p` resolves to.
    pub fn chmod(&mut self, cwd: &str, p: &str, mode: u32) -> Result<(), Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let h = dir
            .metadata_hash_at(PathFlags::SYMLINK_FOLLOW, &rel)
            .map_err(from_wasi)?;
        self.modes.insert(ino(h.lower), mode & 0o7777);
        Ok(())
    }

    pub fn fchmod(&mut self, fd: i64, mode: u32) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Ok(());
        }
        let h = self.file(fd)?.desc.metadata_hash().map_err(from_wasi)?;
        self.modes.insert(ino(h.lower), mode & 0o7777);
        Ok(())
    }

    /// chown/lchown: WASI has no owners; succeeds (as for root under node) once `p` exists.
    pub fn chown(&self, cwd: &str, p: &str, follow: bool) -> Result<(), Errno> {
        self.stat(cwd, p, follow).map(|_| ())
    }

    pub fn fchown(&self, fd: i64) -> Result<(), Errno> {
        if !self.is_std(fd)? {
            self.file(fd)?;
        }
        Ok(())
    }

    pub fn truncate(&self, cwd: &str, p: &str, len: u64) -> Result<(), Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        let f = dir
            .open_at(
                PathFlags::SYMLINK_FOLLOW,
                &rel,
                OpenFlags::empty(),
                DescriptorFlags::WRITE,
            )
            .map_err(from_wasi)?;
        f.set_size(len).map_err(from_wasi)
    }

    pub fn ftruncate(&self, fd: i64, len: u64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Err("EINVAL");
        }
        let f = self.file(fd)?;
        f.desc.set_size(len).map_err(|e| dir_aware(&f.desc, e))
    }

    /// fsync: stdio is a pipe or terminal under node, where fsync(2) fails with EINVAL.
    pub fn fsync(&self, fd: i64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Err("EINVAL");
        }
        self.file(fd)?.desc.sync().map_err(from_wasi)
    }

    /// utimes(path, atime, mtime) in (fractional) seconds since the epoch.
    pub fn utimes(&self, cwd: &str, p: &str, atime: f64, mtime: f64) -> Result<(), Errno> {
        let (dir, rel) = self.locate(cwd, p)?;
        dir.set_times_at(
            PathFlags::SYMLINK_FOLLOW,
            &rel,
            timestamp(atime)?,
            timestamp(mtime)?,
        )
        .map_err(from_wasi)
    }
}

/// Longest guest-path prefix match: the preopen index and the remainder below it.
fn best_preopen<'a, 'p>(
    guests: impl Iterator<Item = &'a str>,
    abs: &'p str,
) -> Option<(usize, &'p str)> {
    let mut best: Option<(usize, &str, usize)> = None;
    for (i, g) in guests.enumerate() {
        if let Some(rest) = path::strip_dir(abs, g) {
            if best.is_none_or(|(_, _, len)| g.len() > len) {
                best = Some((i, rest, g.len()));
            }
        }
    }
    best.map(|(i, rest, _)| (i, rest))
}

/// The relative path from directory `from` to `to`, both relative to the same root
/// ("" for the root itself): `relative_path("a/b", "a/c/f")` is "../c/f".
fn relative_path(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|c| !c.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|c| !c.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Errors on a directory descriptor where node says EISDIR (read, write, truncate).
fn dir_aware(desc: &Descriptor, e: ErrorCode) -> Errno {
    match e {
        ErrorCode::BadDescriptor | ErrorCode::IsDirectory | ErrorCode::NotPermitted
            if desc.get_type().ok() == Some(DescriptorType::Directory) =>
        {
            "EISDIR"
        }
        e => from_wasi(e),
    }
}

/// A stable 53-bit inode number (exact through Go's float64 `.Int()`).
fn ino(hash: u64) -> u64 {
    hash & ((1 << 53) - 1)
}

fn ms(t: Option<Datetime>) -> f64 {
    t.map_or(0.0, |t| {
        t.seconds as f64 * 1000.0 + t.nanoseconds as f64 / 1e6
    })
}

fn timestamp(secs: f64) -> Result<NewTimestamp, Errno> {
    if !secs.is_finite() || secs < 0.0 || secs >= u64::MAX as f64 {
        return Err("EINVAL");
    }
    let whole = secs.trunc();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    Ok(NewTimestamp::Timestamp(Datetime {
        seconds: whole as u64,
        nanoseconds: nanos,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_preopen_prefix_wins() {
        let guests = ["/", "/tmp", "/tmp/cache", "/data"];
        let find = |p| best_preopen(guests.iter().copied(), p);
        assert_eq!(find("/tmp/cache/x"), Some((2, "x")));
        assert_eq!(find("/tmp/cachex"), Some((1, "cachex")));
        assert_eq!(find("/tmp"), Some((1, "")));
        assert_eq!(find("/etc/passwd"), Some((0, "etc/passwd")));
        let only = ["/data", "/data"];
        assert_eq!(
            best_preopen(only.iter().copied(), "/data/a"),
            Some((0, "a")),
            "first of equals"
        );
        assert_eq!(best_preopen(only.iter().copied(), "/etc"), None);
    }

    #[test]
    fn relative_symlink_targets() {
        assert_eq!(relative_path("d", "d/b.txt"), "b.txt");
        assert_eq!(relative_path("", "x/y"), "x/y");
        assert_eq!(relative_path("a/b", "a/c/f"), "../c/f");
        assert_eq!(relative_path("a/b", ""), "../..");
        assert_eq!(relative_path("a", "a"), ".");
    }

    #[test]
    fn relative_preopens_mount_below_initial_cwd() {
        let fs = Fs::new(Vec::new(), "/home/u");
        assert!(fs.preopens.is_empty());
        assert_eq!(path::absolute("/home/u", "."), "/home/u");
        assert_eq!(path::absolute("/", "./data"), "/data");
    }

    #[test]
    fn no_preopen_is_eacces_and_bad_fds_are_ebadf() {
        let mut fs = Fs::new(Vec::new(), "/");
        assert_eq!(fs.stat("/", "x", true).err(), Some("EACCES"));
        assert_eq!(
            fs.open("/", "/etc/passwd", 0, 0, 0o022).err(),
            Some("EACCES")
        );
        assert_eq!(fs.read(7, 10, None).err(), Some("EBADF"));
        assert_eq!(fs.close(-1).err(), Some("EBADF"));
        assert_eq!(fs.close(99).err(), Some("EBADF"));
        assert_eq!(fs.fsync(1).err(), Some("EINVAL"));
        assert_eq!(fs.close(1), Ok(()));
        assert_eq!(fs.is_std(1), Err("EBADF"));
        assert_eq!(fs.open("/", "x", 3, 0, 0).err(), Some("EINVAL"));
    }

    #[test]
    fn utimes_seconds() {
        assert!(matches!(
            timestamp(1.5),
            Ok(NewTimestamp::Timestamp(Datetime {
                seconds: 1,
                nanoseconds: 500_000_000
            }))
        ));
        assert_eq!(timestamp(-1.0).err(), Some("EINVAL"));
        assert_eq!(timestamp(f64::NAN).err(), Some("EINVAL"));
    }
}
