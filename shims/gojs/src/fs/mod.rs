//! node's `fs` on `wasi:filesystem`: the state (preopens, open files, emulated modes) and the
//! operations, each returning node's errno name on failure. `node` turns them into the
//! callback-style JS functions Go's syscall/fs_js.go calls; `stats` builds `fs.Stats`.
//!
//! Paths: see `resolve`. Go's path (relative ones against the emulated cwd) leads into a
//! preopen (the guest path of a preopen named "." or relative is the initial cwd), to a
//! virtual directory above the preopens, to an emulated device (`/dev/null`, `/dev/std*`),
//! or outside the sandbox: EACCES, which Go reports as a permission error. The virtual
//! directories are read-only: creating, removing or changing anything in them is EACCES too
//! (not EROFS) so that Go sees the same permission error as for any other path it may not
//! touch, and `errors.Is(err, fs.ErrPermission)` holds for all of them.
//!
//! Ownership: a WASI sandbox enforces no permission bits, which is how root sees files, so
//! files are owned by uid/gid 0 (as `process.getuid()` & co. report) and chown succeeds on
//! any existing path without doing anything.
//!
//! Modes: WASI has no permission bits. Stats show 0o644 for files, 0o755 for directories and
//! 0o777 for symlinks, except where this process chose a mode (open/mkdir with a mode that,
//! after umask, differs from those; chmod/fchmod): those are remembered per file (by
//! metadata hash) for the life of the process, not persisted and not enforced — what a root
//! user sees under node, where permission checks do not apply either.

pub mod errors;
pub mod flags;
mod node;
mod resolve;
pub mod stats;

use std::collections::HashMap;

use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, NewTimestamp, OpenFlags,
    PathFlags,
};

use crate::path;
use errors::from_wasi;
use flags::OpenMode;
use js_realm::sys::{self, Errno};
use resolve::{Device, Entry, Loc, Mode, Namespace};

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

/// What an fd ≥ 3 refers to.
enum Handle {
    File(File),
    /// `/dev/null` (reads end at once) or `/dev/zero` (reads give zeros); writes are discarded.
    Null {
        read: bool,
        write: bool,
        zeros: bool,
    },
    /// `/dev/stdin|stdout|stderr`: another descriptor for stdio 0, 1 or 2.
    Std(i64),
    /// A virtual directory (opened read-only), by path.
    Dir(String),
}

pub struct Fs {
    preopens: Vec<Preopen>,
    ns: Namespace,
    /// Indexed by fd; 0, 1 and 2 (stdio) are never here.
    files: Vec<Option<Handle>>,
    /// fs.close(0|1|2) happened: later use is EBADF, as for a closed descriptor under node.
    std_closed: [bool; 3],
    /// Permission bits chosen in this process, by inode (low 53 bits of the metadata hash).
    modes: HashMap<u64, u32>,
    /// Symlinks created with an absolute target, which WASI refuses: stored relative to the
    /// link, by the link's inode → (stored target, original). readlink (and the shim's own
    /// path walk) gives back the original while the link still holds the stored text.
    absolute_links: HashMap<u64, (String, String)>,
}

impl Fs {
    /// `preopens` as WASI lists them; relative guest paths are mounted below `cwd`.
    pub fn new(preopens: Vec<(Descriptor, String)>, cwd: &str) -> Fs {
        let preopens: Vec<Preopen> =
            preopens.into_iter().map(|(dir, name)| Preopen { guest: path::absolute(cwd, &name), dir }).collect();
        Fs {
            ns: Namespace::new(preopens.iter().map(|p| p.guest.as_str())),
            preopens,
            files: Vec::new(),
            std_closed: [false; 3],
            modes: HashMap::new(),
            absolute_links: HashMap::new(),
        }
    }

    // ---- paths ----

    fn resolve(&self, cwd: &str, p: &str, mode: Mode) -> Result<Loc, Errno> {
        self.ns.resolve(cwd, p, mode, |i, rel| self.lookup(i, rel))
    }

    /// What `rel` in preopen `i` is, not following a final symlink.
    fn lookup(&self, i: usize, rel: &str) -> Result<Entry, Errno> {
        let st = self.preopens[i].dir.stat_at(PathFlags::empty(), rel).map_err(from_wasi)?;
        Ok(match st.type_ {
            DescriptorType::Directory => Entry::Dir,
            DescriptorType::SymbolicLink => Entry::Symlink(self.link_text(i, rel)?),
            _ => Entry::Other,
        })
    }

    /// A symlink's target as the guest wrote it.
    fn link_text(&self, i: usize, rel: &str) -> Result<String, Errno> {
        let dir = &self.preopens[i].dir;
        let text = dir.readlink_at(rel).map_err(from_wasi)?;
        if !self.absolute_links.is_empty() {
            if let Ok(h) = dir.metadata_hash_at(PathFlags::empty(), rel) {
                if let Some((stored, original)) = self.absolute_links.get(&ino(h.lower)) {
                    if *stored == text {
                        return Ok(original.clone());
                    }
                }
            }
        }
        Ok(text)
    }

    /// Runs `op` where `p` leads. WASI refuses a path whose symlinks leave the preopen or are
    /// absolute (EPERM); then the shim resolves every symlink itself and runs `op` again.
    fn at<T>(
        &mut self,
        cwd: &str,
        p: &str,
        follow: bool,
        mut op: impl FnMut(&mut Fs, &Loc) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let loc = self.resolve(cwd, p, Mode::Fast);
        let r = match &loc {
            Ok(l) => op(self, l),
            Err(e) => Err(*e),
        };
        if r.as_ref().err() == Some(&"EPERM") && matches!(loc, Ok(Loc::Preopen(..)) | Err(_)) {
            let full = self.resolve(cwd, p, Mode::Full { follow_last: follow })?;
            if Ok(&full) != loc.as_ref() {
                return op(self, &full);
            }
        }
        r
    }

    /// `at` for two paths (rename, link), neither final symlink followed.
    fn at2<T>(
        &mut self,
        cwd: &str,
        a: &str,
        b: &str,
        mut op: impl FnMut(&mut Fs, &Loc, &Loc) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let fast = self.resolve(cwd, a, Mode::Fast).and_then(|la| Ok((la, self.resolve(cwd, b, Mode::Fast)?)));
        let r = match &fast {
            Ok((la, lb)) => op(self, la, lb),
            Err(e) => Err(*e),
        };
        if r.as_ref().err() == Some(&"EPERM") {
            let full = Mode::Full { follow_last: false };
            let (fa, fb) = (self.resolve(cwd, a, full)?, self.resolve(cwd, b, full)?);
            if fast.as_ref().ok() != Some(&(fa.clone(), fb.clone())) {
                return op(self, &fa, &fb);
            }
        }
        r
    }

    /// The physical absolute path of directory `p` (every symlink resolved), for chdir.
    pub fn chdir_target(&mut self, cwd: &str, p: &str) -> Result<String, Errno> {
        let loc = self.resolve(cwd, p, Mode::Full { follow_last: true })?;
        if !self.stat_loc(&loc, true)?.is_dir() {
            return Err("ENOTDIR");
        }
        match loc {
            Loc::Preopen(i, rel) => Ok(path::absolute(&self.preopens[i].guest, &rel)),
            Loc::Dir(p) => Ok(p),
            _ => Err("ENOTDIR"),
        }
    }

    // ---- descriptors ----

    fn handle(&self, fd: i64) -> Result<&Handle, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.files.get(i)).and_then(Option::as_ref).ok_or("EBADF")
    }

    fn handle_mut(&mut self, fd: i64) -> Result<&mut Handle, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.files.get_mut(i)).and_then(Option::as_mut).ok_or("EBADF")
    }

    /// Whether `fd` is an open stdio descriptor (0, 1, 2 not closed).
    fn is_std(&self, fd: i64) -> Result<bool, Errno> {
        match fd {
            0..=2 if self.std_closed[fd as usize] => Err("EBADF"),
            0..=2 => Ok(true),
            _ => Ok(false),
        }
    }

    /// The stdio stream (0, 1, 2) `fd` reads or writes: itself, or what /dev/std* opened.
    pub fn std_target(&self, fd: i64) -> Result<Option<i64>, Errno> {
        if self.is_std(fd)? {
            return Ok(Some(fd));
        }
        Ok(match self.handle(fd) {
            Ok(Handle::Std(n)) => Some(*n),
            _ => None,
        })
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
            rdev: 0,
        }
    }

    /// stat (follow) / lstat (no follow).
    pub fn stat(&mut self, cwd: &str, p: &str, follow: bool) -> Result<StatInfo, Errno> {
        self.at(cwd, p, follow, |fs, loc| fs.stat_loc(loc, follow))
    }

    fn stat_loc(&self, loc: &Loc, follow: bool) -> Result<StatInfo, Errno> {
        match loc {
            Loc::Preopen(i, rel) => {
                let dir = &self.preopens[*i].dir;
                let flags = if follow { PathFlags::SYMLINK_FOLLOW } else { PathFlags::empty() };
                let st = dir.stat_at(flags, rel).map_err(from_wasi)?;
                let hash = dir.metadata_hash_at(flags, rel).ok().map(|h| ino(h.lower));
                Ok(self.info(st, hash))
            }
            Loc::Dir(p) => Ok(StatInfo::virtual_dir(virtual_ino(p))),
            Loc::Device(d) => Ok(device_stat(*d)),
            Loc::Outside => Err("EACCES"),
        }
    }

    pub fn fstat(&self, fd: i64) -> Result<StatInfo, Errno> {
        if self.is_std(fd)? {
            return Ok(device_stat(Device::Std(fd)));
        }
        match self.handle(fd)? {
            Handle::File(f) => {
                let st = f.desc.stat().map_err(from_wasi)?;
                let hash = f.desc.metadata_hash().ok().map(|h| ino(h.lower));
                Ok(self.info(st, hash))
            }
            Handle::Null { zeros: false, .. } => Ok(device_stat(Device::Null)),
            Handle::Null { zeros: true, .. } => Ok(device_stat(Device::Zero)),
            Handle::Std(n) => Ok(device_stat(Device::Std(*n))),
            Handle::Dir(p) => Ok(StatInfo::virtual_dir(virtual_ino(p))),
        }
    }

    pub fn open(&mut self, cwd: &str, p: &str, flags: i64, mode: u32, umask: u32) -> Result<i64, Errno> {
        let m = flags::open_mode(flags).ok_or("EINVAL")?;
        let perm = mode & 0o7777 & !umask;
        let follow = m.path.contains(PathFlags::SYMLINK_FOLLOW);
        let handle = self.at(cwd, p, follow, |fs, loc| fs.open_loc(loc, &m, perm))?;
        Ok(self.insert(handle))
    }

    fn open_loc(&mut self, loc: &Loc, m: &OpenMode, perm: u32) -> Result<Handle, Errno> {
        let (i, rel) = match loc {
            Loc::Preopen(i, rel) => (*i, rel.as_str()),
            Loc::Outside => return Err("EACCES"),
            _ if m.open.contains(OpenFlags::CREATE | OpenFlags::EXCLUSIVE) => return Err("EEXIST"),
            Loc::Dir(p) => {
                let writes = m.access.contains(DescriptorFlags::WRITE)
                    || m.open.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE);
                return if writes { Err("EISDIR") } else { Ok(Handle::Dir(p.clone())) };
            }
            Loc::Device(_) if m.open.contains(OpenFlags::DIRECTORY) => return Err("ENOTDIR"),
            Loc::Device(d @ (Device::Null | Device::Zero)) => {
                return Ok(Handle::Null {
                    read: m.access.contains(DescriptorFlags::READ),
                    write: m.access.contains(DescriptorFlags::WRITE),
                    zeros: *d == Device::Zero,
                })
            }
            Loc::Device(Device::Std(n)) => return Ok(Handle::Std(*n)),
        };
        let creating = m.open.contains(OpenFlags::CREATE);
        // Knowing whether the file was created costs a second call when it exists, so only
        // find out when there is a mode to remember (or a stale one to forget).
        let track = creating && (perm != DEFAULT_FILE_PERM || !self.modes.is_empty());
        let dir = &self.preopens[i].dir;
        let (desc, created) = if track && !m.open.contains(OpenFlags::EXCLUSIVE) {
            match dir.open_at(m.path, rel, m.open | OpenFlags::EXCLUSIVE, m.access) {
                Ok(d) => (d, true),
                Err(ErrorCode::Exist) => {
                    // It exists, or it is a dangling symlink, which O_CREAT follows and creates.
                    let exists = dir.stat_at(m.path, rel).is_ok();
                    let open = if exists { m.open - OpenFlags::CREATE } else { m.open };
                    let d = dir.open_at(m.path, rel, open, m.access);
                    (d.map_err(from_wasi)?, !exists)
                }
                Err(e) => return Err(from_wasi(e)),
            }
        } else {
            (dir.open_at(m.path, rel, m.open, m.access).map_err(from_wasi)?, creating)
        };
        if track && created {
            if let Ok(h) = desc.metadata_hash() {
                self.remember(ino(h.lower), perm, DEFAULT_FILE_PERM);
            }
        }
        Ok(Handle::File(File { desc, append: m.append, pos: 0 }))
    }

    fn remember(&mut self, ino: u64, perm: u32, default: u32) {
        if perm == default {
            self.modes.remove(&ino);
        } else {
            self.modes.insert(ino, perm);
        }
    }

    /// The lowest free descriptor from 3, as POSIX (and so node) hands them out.
    fn insert(&mut self, h: Handle) -> i64 {
        if self.files.len() < 3 {
            self.files.resize_with(3, || None);
        }
        match self.files.iter().skip(3).position(Option::is_none) {
            Some(i) => {
                self.files[i + 3] = Some(h);
                (i + 3) as i64
            }
            None => {
                self.files.push(Some(h));
                (self.files.len() - 1) as i64
            }
        }
    }

    pub fn close(&mut self, fd: i64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            self.std_closed[fd as usize] = true;
            return Ok(());
        }
        self.handle(fd)?;
        self.files[fd as usize] = None; // dropping the descriptor closes it
        Ok(())
    }

    /// Reads up to `len` bytes (fd ≥ 3, not stdio) at `position`, or at and advancing the
    /// file offset.
    pub fn read(&mut self, fd: i64, len: usize, position: Option<u64>) -> Result<Vec<u8>, Errno> {
        let f = match self.handle_mut(fd)? {
            Handle::File(f) => f,
            Handle::Null { read: true, zeros, .. } => return Ok(if *zeros { vec![0; len] } else { Vec::new() }),
            Handle::Dir(_) => return Err("EISDIR"),
            Handle::Null { .. } | Handle::Std(_) => return Err("EBADF"),
        };
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

    /// Writes all of `data` (fd ≥ 3, not stdio): at the end with O_APPEND (Linux ignores the
    /// position then too), else at `position` or at and advancing the file offset.
    pub fn write(&mut self, fd: i64, data: &[u8], position: Option<u64>) -> Result<usize, Errno> {
        let f = match self.handle_mut(fd)? {
            Handle::File(f) => f,
            Handle::Null { write: true, .. } => return Ok(data.len()),
            Handle::Null { .. } | Handle::Dir(_) | Handle::Std(_) => return Err("EBADF"),
        };
        if f.append {
            let out = f.desc.append_via_stream().map_err(|e| dir_aware(&f.desc, e))?;
            let mut rest = data;
            while !rest.is_empty() {
                let n = (rest.len()).min(4096);
                out.blocking_write_and_flush(&rest[..n]).map_err(|_| "EIO")?;
                rest = &rest[n..];
            }
            return Ok(data.len());
        }
        let mut off = position.unwrap_or(f.pos);
        let mut done = 0;
        while done < data.len() {
            let n = f.desc.write(&data[done..], off).map_err(|e| dir_aware(&f.desc, e))? as usize;
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
    pub fn readdir(&mut self, cwd: &str, p: &str) -> Result<Vec<String>, Errno> {
        self.at(cwd, p, true, |fs, loc| match loc {
            Loc::Preopen(i, rel) => fs.readdir_at(*i, rel),
            Loc::Dir(p) => Ok(fs.ns.children(p)),
            Loc::Device(_) => Err("ENOTDIR"),
            Loc::Outside => Err("EACCES"),
        })
    }

    fn readdir_at(&self, i: usize, rel: &str) -> Result<Vec<String>, Errno> {
        let dir = &self.preopens[i].dir;
        let opened;
        let d = if rel == "." {
            dir
        } else {
            opened = dir
                .open_at(PathFlags::SYMLINK_FOLLOW, rel, OpenFlags::DIRECTORY, DescriptorFlags::READ)
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
        self.at(cwd, p, false, |fs, loc| {
            let (i, rel) = match loc {
                Loc::Preopen(i, rel) => (*i, rel.as_str()),
                Loc::Outside => return Err("EACCES"),
                _ => return Err("EEXIST"),
            };
            let dir = &fs.preopens[i].dir;
            dir.create_directory_at(rel).map_err(from_wasi)?;
            if perm != DEFAULT_DIR_PERM || !fs.modes.is_empty() {
                if let Ok(h) = dir.metadata_hash_at(PathFlags::empty(), rel) {
                    fs.remember(ino(h.lower), perm, DEFAULT_DIR_PERM);
                }
            }
            Ok(())
        })
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
        dir.metadata_hash_at(PathFlags::empty(), rel).ok().map(|h| ino(h.lower))
    }

    /// The inode of `rel` when it is a symlink created with an absolute target.
    fn link_inode(&self, dir: &Descriptor, rel: &str) -> Option<u64> {
        if self.absolute_links.is_empty() {
            return None;
        }
        let h = dir.metadata_hash_at(PathFlags::empty(), rel).ok()?;
        let n = ino(h.lower);
        self.absolute_links.contains_key(&n).then_some(n)
    }

    /// Drops what was remembered about inodes that were just freed (so that a new file
    /// reusing the inode number does not inherit it).
    fn forget(&mut self, mode: Option<u64>, link: Option<u64>) {
        if let Some(n) = mode {
            self.modes.remove(&n);
        }
        if let Some(n) = link {
            self.absolute_links.remove(&n);
        }
    }

    /// rmdir (`dir`) or unlink: Linux's errors on what cannot be removed.
    fn remove(&mut self, cwd: &str, p: &str, dir: bool) -> Result<(), Errno> {
        self.at(cwd, p, false, |fs, loc| {
            let (i, rel) = match loc {
                Loc::Preopen(i, rel) => (*i, rel.as_str()),
                Loc::Dir(_) if !dir => return Err("EISDIR"),
                Loc::Device(_) if dir => return Err("ENOTDIR"),
                _ => return Err("EACCES"),
            };
            let d = &fs.preopens[i].dir;
            let doomed = fs.doomed_inode(d, rel);
            let link = if dir { None } else { fs.link_inode(d, rel) };
            if dir {
                d.remove_directory_at(rel).map_err(from_wasi)?;
            } else {
                d.unlink_file_at(rel).map_err(from_wasi)?;
            }
            fs.forget(doomed, link);
            Ok(())
        })
    }

    pub fn rmdir(&mut self, cwd: &str, p: &str) -> Result<(), Errno> {
        self.remove(cwd, p, true)
    }

    pub fn unlink(&mut self, cwd: &str, p: &str) -> Result<(), Errno> {
        self.remove(cwd, p, false)
    }

    pub fn rename(&mut self, cwd: &str, from: &str, to: &str) -> Result<(), Errno> {
        self.at2(cwd, from, to, |fs, a, b| {
            let ((i, src_rel), (j, dst_rel)) = match (a, b) {
                (Loc::Preopen(i, a), Loc::Preopen(j, b)) => ((*i, a), (*j, b)),
                _ => return Err("EACCES"),
            };
            // Different preopens are different "devices" to the guest.
            if i != j {
                return Err("EXDEV");
            }
            let dir = &fs.preopens[i].dir;
            let doomed = fs.doomed_inode(dir, dst_rel);
            let link = fs.link_inode(dir, dst_rel);
            dir.rename_at(src_rel, dir, dst_rel).map_err(from_wasi)?;
            fs.forget(doomed, link);
            Ok(())
        })
    }

    /// link(existing, new): a hard link.
    pub fn link(&mut self, cwd: &str, existing: &str, new: &str) -> Result<(), Errno> {
        self.at2(cwd, existing, new, |fs, a, b| match (a, b) {
            (Loc::Preopen(i, a), Loc::Preopen(j, b)) if i == j => {
                let dir = &fs.preopens[*i].dir;
                dir.link_at(PathFlags::empty(), a, dir, b).map_err(from_wasi)
            }
            (Loc::Preopen(..), Loc::Preopen(..)) => Err("EXDEV"),
            (Loc::Outside, _) | (_, Loc::Outside) => Err("EACCES"),
            (_, Loc::Dir(_) | Loc::Device(_)) => Err("EEXIST"),
            _ => Err("EACCES"),
        })
    }

    /// symlink(target, path): `target` is stored as given, except that an absolute target
    /// (which WASI hosts refuse) is stored relative to the link, its original text
    /// remembered for readlink and for the shim's own path walk.
    pub fn symlink(&mut self, cwd: &str, target: &str, p: &str) -> Result<(), Errno> {
        let r = self.at(cwd, p, false, |fs, loc| match loc {
            Loc::Preopen(i, rel) => fs.preopens[*i].dir.symlink_at(target, rel).map_err(from_wasi),
            Loc::Outside => Err("EACCES"),
            _ => Err("EEXIST"),
        });
        if !(matches!(r, Err("EPERM" | "EACCES")) && target.starts_with('/')) {
            return r;
        }
        let Loc::Preopen(i, rel) = self.resolve(cwd, p, Mode::Full { follow_last: false })? else {
            return r;
        };
        let link_rel = rel.trim_end_matches('/');
        let link = path::absolute(&self.preopens[i].guest, link_rel);
        let link_dir = link.rsplit_once('/').map_or("/", |(d, _)| d);
        let stored = relative_path(link_dir, &path::absolute("/", target));
        let dir = &self.preopens[i].dir;
        dir.symlink_at(&stored, link_rel).map_err(from_wasi)?;
        if let Ok(h) = dir.metadata_hash_at(PathFlags::empty(), link_rel) {
            self.absolute_links.insert(ino(h.lower), (stored, target.to_string()));
        }
        Ok(())
    }

    pub fn readlink(&mut self, cwd: &str, p: &str) -> Result<String, Errno> {
        self.at(cwd, p, false, |fs, loc| match loc {
            Loc::Preopen(i, rel) => fs.link_text(*i, rel),
            Loc::Outside => Err("EACCES"),
            _ => Err("EINVAL"),
        })
    }

    /// chmod (emulated): remembers `mode` for the file `p` resolves to.
    pub fn chmod(&mut self, cwd: &str, p: &str, mode: u32) -> Result<(), Errno> {
        self.at(cwd, p, true, |fs, loc| {
            let Loc::Preopen(i, rel) = loc else {
                return Err("EACCES");
            };
            let h = fs.preopens[*i].dir.metadata_hash_at(PathFlags::SYMLINK_FOLLOW, rel).map_err(from_wasi)?;
            fs.modes.insert(ino(h.lower), mode & 0o7777);
            Ok(())
        })
    }

    pub fn fchmod(&mut self, fd: i64, mode: u32) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Ok(());
        }
        let h = match self.handle(fd)? {
            Handle::File(f) => f.desc.metadata_hash().map_err(from_wasi)?,
            Handle::Std(_) => return Ok(()),
            Handle::Null { .. } | Handle::Dir(_) => return Err("EACCES"),
        };
        self.modes.insert(ino(h.lower), mode & 0o7777);
        Ok(())
    }

    /// chown/lchown: WASI has no owners; succeeds (as for root under node) once `p` exists.
    pub fn chown(&mut self, cwd: &str, p: &str, follow: bool) -> Result<(), Errno> {
        self.stat(cwd, p, follow).map(|_| ())
    }

    pub fn fchown(&self, fd: i64) -> Result<(), Errno> {
        if !self.is_std(fd)? {
            self.handle(fd)?;
        }
        Ok(())
    }

    pub fn truncate(&mut self, cwd: &str, p: &str, len: u64) -> Result<(), Errno> {
        self.at(cwd, p, true, |fs, loc| {
            let (i, rel) = match loc {
                Loc::Preopen(i, rel) => (*i, rel.as_str()),
                Loc::Dir(_) => return Err("EISDIR"),
                Loc::Device(_) => return Err("EINVAL"),
                Loc::Outside => return Err("EACCES"),
            };
            let f = fs.preopens[i]
                .dir
                .open_at(PathFlags::SYMLINK_FOLLOW, rel, OpenFlags::empty(), DescriptorFlags::WRITE)
                .map_err(from_wasi)?;
            f.set_size(len).map_err(from_wasi)
        })
    }

    pub fn ftruncate(&self, fd: i64, len: u64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Err("EINVAL");
        }
        match self.handle(fd)? {
            Handle::File(f) => f.desc.set_size(len).map_err(|e| dir_aware(&f.desc, e)),
            _ => Err("EINVAL"),
        }
    }

    /// fsync: stdio is a pipe or terminal under node, where fsync(2) fails with EINVAL.
    pub fn fsync(&self, fd: i64) -> Result<(), Errno> {
        if self.is_std(fd)? {
            return Err("EINVAL");
        }
        match self.handle(fd)? {
            Handle::File(f) => f.desc.sync().map_err(from_wasi),
            Handle::Dir(_) => Ok(()),
            Handle::Null { .. } | Handle::Std(_) => Err("EINVAL"),
        }
    }

    /// utimes(path, atime, mtime) in (fractional) seconds since the epoch.
    pub fn utimes(&mut self, cwd: &str, p: &str, atime: f64, mtime: f64) -> Result<(), Errno> {
        let (atime, mtime) = (timestamp(atime)?, timestamp(mtime)?);
        self.at(cwd, p, true, |fs, loc| {
            let Loc::Preopen(i, rel) = loc else {
                return Err("EACCES");
            };
            fs.preopens[*i].dir.set_times_at(PathFlags::SYMLINK_FOLLOW, rel, atime, mtime).map_err(from_wasi)
        })
    }
}

/// Stats of an emulated device: /dev/null and /dev/zero are Linux's character devices 1,3
/// and 1,5; /dev/std* show
/// the stdio stream itself (a terminal or a pipe).
fn device_stat(d: Device) -> StatInfo {
    match d {
        Device::Null => StatInfo::null_device(virtual_ino("/dev/null"), 3),
        Device::Zero => StatInfo::null_device(virtual_ino("/dev/zero"), 5),
        Device::Std(n) => StatInfo::stdio(n, sys::is_terminal(n as i32)),
    }
}

/// A stable inode number for a virtual path (FNV-1a; bit 52 set, 53 bits in all).
fn virtual_ino(p: &str) -> u64 {
    let h = p.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    (h & ((1 << 52) - 1)) | (1 << 52)
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
    t.map_or(0.0, |t| t.seconds as f64 * 1000.0 + t.nanoseconds as f64 / 1e6)
}

fn timestamp(secs: f64) -> Result<NewTimestamp, Errno> {
    if !secs.is_finite() || secs < 0.0 || secs >= u64::MAX as f64 {
        return Err("EINVAL");
    }
    let whole = secs.trunc();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    Ok(NewTimestamp::Timestamp(Datetime { seconds: whole as u64, nanoseconds: nanos }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(fs.open("/", "/etc/passwd", 0, 0, 0o022).err(), Some("EACCES"));
        assert_eq!(fs.mkdir("/", "/x", 0o777, 0).err(), Some("EACCES"));
        assert_eq!(fs.read(7, 10, None).err(), Some("EBADF"));
        assert_eq!(fs.close(-1).err(), Some("EBADF"));
        assert_eq!(fs.close(99).err(), Some("EBADF"));
        assert_eq!(fs.fsync(1).err(), Some("EINVAL"));
        assert_eq!(fs.close(1), Ok(()));
        assert_eq!(fs.std_target(1), Err("EBADF"));
        assert_eq!(fs.open("/", "x", 3, 0, 0).err(), Some("EINVAL"));
    }

    #[test]
    fn the_root_is_a_read_only_virtual_directory() {
        let mut fs = Fs::new(Vec::new(), "/");
        let st = fs.stat("/", "/", true).unwrap();
        assert!(st.is_dir());
        assert_eq!(st.perm, 0o755);
        assert_eq!(fs.stat("/", "/dev/..", false), Ok(st.clone()));
        assert_eq!(fs.readdir("/", "/").unwrap(), ["dev"]);
        assert_eq!(fs.readdir("/", "dev").unwrap(), ["null", "stderr", "stdin", "stdout", "zero"]);
        assert_eq!(fs.chdir_target("/", "dev/"), Ok("/dev".to_string()));
        assert_eq!(fs.chdir_target("/", "/dev/null").err(), Some("ENOTDIR"));
        assert_eq!(fs.mkdir("/", "/", 0o777, 0).err(), Some("EEXIST"));
        assert_eq!(fs.rmdir("/", "/dev").err(), Some("EACCES"));
        assert_eq!(fs.unlink("/", "/dev").err(), Some("EISDIR"));
        assert_eq!(fs.chmod("/", "/dev", 0o700).err(), Some("EACCES"));
        assert_eq!(fs.chown("/", "/dev", true), Ok(()));
        assert_eq!(fs.rename("/", "/dev", "/x").err(), Some("EACCES"));
        assert_eq!(fs.readlink("/", "/dev").err(), Some("EINVAL"));
        // open: read-only only.
        assert_eq!(fs.open("/", "/", flags::O_RDWR, 0, 0).err(), Some("EISDIR"));
        let fd = fs.open("/", "/", flags::O_RDONLY, 0, 0).unwrap();
        assert_eq!(fd, 3);
        assert!(fs.fstat(fd).unwrap().is_dir());
        assert_eq!(fs.read(fd, 10, None).err(), Some("EISDIR"));
        assert_eq!(fs.write(fd, b"x", None).err(), Some("EBADF"));
        assert_eq!(fs.close(fd), Ok(()));
    }

    #[test]
    fn dev_null_reads_nothing_and_swallows_writes() {
        use flags::*;
        let mut fs = Fs::new(Vec::new(), "/");
        let st = fs.stat("/", "/dev/null", true).unwrap();
        assert_eq!(st.mode(), 0o020666);
        assert_eq!(st.rdev, 259);
        let fd = fs.open("/", "/dev/null", O_RDWR | O_CREAT | O_TRUNC, 0o666, 0).unwrap();
        assert_eq!(fs.read(fd, 10, None), Ok(Vec::new()));
        assert_eq!(fs.write(fd, b"hello", None), Ok(5));
        assert_eq!(fs.fstat(fd), Ok(st));
        let w = fs.open("/", "/dev/null", O_WRONLY, 0, 0).unwrap();
        assert_eq!(fs.read(w, 10, None).err(), Some("EBADF"));
        let err = |r: Result<i64, Errno>| r.err();
        assert_eq!(err(fs.open("/", "/dev/null", O_CREAT | O_EXCL, 0, 0)), Some("EEXIST"));
        assert_eq!(err(fs.open("/", "/dev/null", O_DIRECTORY, 0, 0)), Some("ENOTDIR"));
        assert_eq!(err(fs.open("/", "/dev/null/", 0, 0, 0)), Some("ENOTDIR"));
        assert_eq!(err(fs.open("/", "/dev/random", 0, 0, 0)), Some("EACCES"));
        let z = fs.open("/", "/dev/zero", 0, 0, 0).unwrap();
        assert_eq!(fs.read(z, 4, None), Ok(vec![0; 4]));
        assert_eq!(fs.fstat(z).map(|s| s.rdev), Ok((1 << 8) | 5));
        assert_eq!(fs.ftruncate(fd, 0).err(), Some("EINVAL"));
        assert_eq!(fs.truncate("/", "/dev/null", 0).err(), Some("EINVAL"));
        assert_eq!(fs.unlink("/", "/dev/null").err(), Some("EACCES"));
        assert_eq!(fs.mkdir("/", "/dev/null", 0o777, 0).err(), Some("EEXIST"));
        assert_eq!(fs.readdir("/", "/dev/null").err(), Some("ENOTDIR"));
        let out = fs.open("/", "/dev/stdout", O_WRONLY, 0, 0).unwrap();
        assert_eq!(fs.std_target(out), Ok(Some(1)));
        assert_eq!(fs.std_target(fd), Ok(None));
        assert_eq!(fs.std_target(2), Ok(Some(2)));
    }

    #[test]
    fn utimes_seconds() {
        assert!(matches!(
            timestamp(1.5),
            Ok(NewTimestamp::Timestamp(Datetime { seconds: 1, nanoseconds: 500_000_000 }))
        ));
        assert_eq!(timestamp(-1.0).err(), Some("EINVAL"));
        assert_eq!(timestamp(f64::NAN).err(), Some("EINVAL"));
    }
}
