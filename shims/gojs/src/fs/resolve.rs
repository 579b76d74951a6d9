//! The guest's file namespace and path resolution in it, as the kernel resolves paths.
//!
//! The namespace is a union of:
//! - the preopens, each mounted at its guest path (a deeper preopen shadows what lies at its
//!   path inside a shallower one);
//! - virtual read-only directories: `/` and every other ancestor of a preopen or of an
//!   emulated device, whose entries are the next components towards them (so `chdir("/")`,
//!   `ls /`, `stat("/work")` behave as on the host, showing only what the sandbox can reach);
//! - emulated devices: `/dev/null`, `/dev/zero` and `/dev/stdin|stdout|stderr` (where no preopen covers them).
//!
//! Everything else is outside the sandbox: EACCES, a permission error to Go.
//!
//! Resolution follows the kernel: `..` is physical (the parent of where a symlink led, not a
//! lexical step back). Inside a preopen that is what `wasi:filesystem` does with a relative
//! path (wasmtime resolves `..` and symlinks physically and refuses escapes), so the common case
//! hands it the remainder untouched ([`Mode::Fast`]). The shim walks component by component
//! itself only where WASI cannot: a `..` that climbs above a preopen's root, and (after WASI
//! refused an escape, [`Mode::Full`]) symlinks whose target leaves the preopen or is absolute.

use js_realm::sys::Errno;

/// Linux's limit on symlinks followed in one resolution.
const MAX_SYMLINKS: u32 = 40;

/// An emulated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Null,
    /// `/dev/zero`: reads give zeros, writes are discarded.
    Zero,
    /// `/dev/stdin`, `/dev/stdout`, `/dev/stderr`: descriptor 0, 1 or 2 (presented as the
    /// device itself, not as Linux's symlink into /proc).
    Std(i64),
}

const DEVICES: &[(&str, Device)] = &[
    ("dev/null", Device::Null),
    ("dev/zero", Device::Zero),
    ("dev/stdin", Device::Std(0)),
    ("dev/stdout", Device::Std(1)),
    ("dev/stderr", Device::Std(2)),
];

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// Inside preopen `.0`: the path relative to it, for `wasi:filesystem` ("." for its root).
    Preopen(usize, String),
    /// A virtual directory, by normalised absolute path.
    Dir(String),
    Device(Device),
    /// Outside the sandbox.
    Outside,
}

/// What a path inside a preopen is, not following a final symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir,
    /// A symlink and its target (as readlink shows it to the guest).
    Symlink(String),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Hand WASI the path as given wherever that is exact; no lookups in the common case.
    Fast,
    /// Resolve every symlink in the shim (the final one only when `follow_last`), so that
    /// WASI sees a path free of symlinks (but the last, when not followed).
    Full { follow_last: bool },
}

pub struct Namespace {
    /// The preopens' guest paths, as components; index = preopen index.
    mounts: Vec<Vec<String>>,
}

fn components(p: &str) -> impl DoubleEndedIterator<Item = &str> {
    p.split('/').filter(|c| !c.is_empty())
}

fn starts_with(long: &[String], short: &[String]) -> bool {
    long.len() >= short.len() && long.iter().zip(short).all(|(a, b)| a == b)
}

/// `path` is a strict prefix of `target` (components).
fn above<'a>(path: &[String], target: impl Iterator<Item = &'a str>) -> bool {
    let mut target = target;
    for c in path {
        if target.next() != Some(c.as_str()) {
            return false;
        }
    }
    target.next().is_some()
}

pub fn join_abs(stack: &[String]) -> String {
    if stack.is_empty() {
        return "/".to_string();
    }
    let mut s = String::new();
    for c in stack {
        s.push('/');
        s.push_str(c);
    }
    s
}

impl Namespace {
    /// `guests`: the preopens' normalised absolute guest paths.
    pub fn new<'a>(guests: impl Iterator<Item = &'a str>) -> Namespace {
        Namespace { mounts: guests.map(|g| components(g).map(str::to_string).collect()).collect() }
    }

    /// The deepest preopen containing `stack` (the first of equals): index and mount depth.
    fn mount_of(&self, stack: &[String]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (i, m) in self.mounts.iter().enumerate() {
            if starts_with(stack, m) && best.is_none_or(|(_, d)| m.len() > d) {
                best = Some((i, m.len()));
            }
        }
        best
    }

    /// Whether `stack` is a preopen's guest path or an ancestor of one.
    fn toward_mount(&self, stack: &[String]) -> bool {
        self.mounts.iter().any(|m| starts_with(m, stack))
    }

    /// Whether preopen `i` has another preopen strictly inside it.
    fn has_nested(&self, i: usize) -> bool {
        let m = &self.mounts[i];
        self.mounts.iter().any(|n| n.len() > m.len() && starts_with(n, m))
    }

    /// The virtual node at `stack` (which no preopen contains).
    fn node(&self, stack: &[String]) -> Option<Loc> {
        let path = stack.join("/");
        if let Some((_, d)) = DEVICES.iter().find(|(p, _)| *p == path) {
            return Some(Loc::Device(*d));
        }
        let dir = stack.is_empty()
            || self.mounts.iter().any(|m| above(stack, m.iter().map(|s| s.as_str())))
            || DEVICES.iter().any(|(p, _)| above(stack, components(p)));
        dir.then(|| Loc::Dir(join_abs(stack)))
    }

    /// The entries of virtual directory `dir` (an absolute normalised path), sorted.
    pub fn children(&self, dir: &str) -> Vec<String> {
        let stack: Vec<String> = components(dir).map(str::to_string).collect();
        let n = stack.len();
        let mut out: Vec<String> = self
            .mounts
            .iter()
            .filter(|m| above(&stack, m.iter().map(|s| s.as_str())))
            .map(|m| m[n].clone())
            .chain(
                DEVICES
                    .iter()
                    .filter(|(p, _)| above(&stack, components(p)))
                    .filter_map(|(p, _)| components(p).nth(n).map(str::to_string)),
            )
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Resolves `p` (relative to `cwd`, an absolute normalised path without symlinks).
    /// `lookup(preopen, rel)` inspects a path inside a preopen without following a final
    /// symlink; it is only called where the shim must walk itself.
    pub fn resolve(
        &self,
        cwd: &str,
        p: &str,
        mode: Mode,
        mut lookup: impl FnMut(usize, &str) -> Result<Entry, Errno>,
    ) -> Result<Loc, Errno> {
        // Components still to resolve, next last. `stack`: where the walk is; `verified[k]`:
        // stack[k] is known not to be a symlink (the cwd, mount paths, virtual nodes, what a
        // lookup saw).
        let mut todo: Vec<String> = components(p).rev().map(str::to_string).collect();
        let mut stack: Vec<String> = Vec::new();
        if !p.starts_with('/') {
            stack.extend(components(cwd).map(str::to_string));
        }
        let mut verified = vec![true; stack.len()];
        let slash = p.ends_with('/');
        let mut dot_last = false;
        let mut links = 0;
        loop {
            let region = self.mount_of(&stack);
            if let (Mode::Fast, Some((i, d))) = (mode, region) {
                // The rest can go to WASI as is when it never climbs above this preopen
                // (WASI resolves `..` below it physically) and no nested preopen is involved.
                if !self.has_nested(i) && stays_below(&todo, stack.len() - d) {
                    let n = todo.len();
                    let rest = todo.iter().rev().enumerate().filter(|(k, c)| *c != "." || k + 1 == n).map(|(_, c)| c);
                    let rel: Vec<&String> = stack[d..].iter().chain(rest).collect();
                    let rel: Vec<&str> = rel.into_iter().map(String::as_str).collect();
                    return Ok(finish_rel(i, rel.join("/"), false, slash));
                }
            }
            let Some(c) = todo.pop() else { break };
            let last = todo.is_empty();
            dot_last = false;
            if c == "." {
                dot_last = last;
                continue;
            }
            if c == ".." {
                dot_last = last;
                let Some(&known) = verified.last() else {
                    continue; // `..` at the root is the root
                };
                if let (false, Some((i, d))) = (known, region) {
                    // Is the component `..` leaves a symlink? Then `..` applies to its target.
                    match lookup(i, &stack[d..].join("/"))? {
                        Entry::Symlink(t) => {
                            stack.pop();
                            verified.pop();
                            todo.push(c);
                            follow(&mut todo, &mut stack, &mut verified, &t, &mut links)?;
                            continue;
                        }
                        Entry::Dir => {}
                        Entry::Other => return Err("ENOTDIR"),
                    }
                }
                stack.pop();
                verified.pop();
                continue;
            }
            // A name: tried on the stack, taken back off where it does not stay.
            if region.is_none() && matches!(self.node(&stack), Some(Loc::Device(_))) {
                return Err("ENOTDIR");
            }
            stack.push(c);
            if self.toward_mount(&stack) {
                verified.push(true);
                continue;
            }
            let Some((i, d)) = region else {
                if self.node(&stack).is_none() {
                    return Ok(Loc::Outside);
                }
                verified.push(true);
                continue;
            };
            let inspect = match mode {
                Mode::Fast => false,
                Mode::Full { follow_last } => !last || follow_last || slash,
            };
            if !inspect {
                verified.push(false);
                continue;
            }
            match lookup(i, &stack[d..].join("/")) {
                Ok(Entry::Symlink(t)) => {
                    stack.pop();
                    follow(&mut todo, &mut stack, &mut verified, &t, &mut links)?;
                }
                Ok(Entry::Other) if !last => return Err("ENOTDIR"),
                Ok(Entry::Dir | Entry::Other) => verified.push(true),
                // A missing last component is what the operation may create.
                Err("ENOENT") if last => verified.push(false),
                Err(e) => return Err(e),
            }
        }
        Ok(match self.mount_of(&stack) {
            Some((i, d)) => finish_rel(i, stack[d..].join("/"), dot_last, slash),
            None => match self.node(&stack) {
                Some(Loc::Device(_)) if dot_last || slash => return Err("ENOTDIR"),
                Some(node) => node,
                None => Loc::Outside,
            },
        })
    }
}

/// Whether walking `todo` (next last) from `depth` components below a preopen's root never
/// climbs above that root.
fn stays_below(todo: &[String], depth: usize) -> bool {
    let mut depth = depth as isize;
    for c in todo.iter().rev() {
        match c.as_str() {
            "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

/// Replaces a symlink (already off the stack) by its target.
fn follow(
    todo: &mut Vec<String>,
    stack: &mut Vec<String>,
    verified: &mut Vec<bool>,
    target: &str,
    links: &mut u32,
) -> Result<(), Errno> {
    *links += 1;
    if *links > MAX_SYMLINKS {
        return Err("ELOOP");
    }
    if target.is_empty() {
        return Err("ENOENT");
    }
    if target.starts_with('/') {
        stack.clear();
        verified.clear();
    }
    todo.extend(components(target).rev().map(str::to_string));
    Ok(())
}

/// The WASI path: "." for the root; a final "."/".." or a trailing slash kept so that WASI
/// insists on a directory, as the kernel does.
fn finish_rel(i: usize, mut rel: String, dot_last: bool, slash: bool) -> Loc {
    if rel.is_empty() {
        rel.push('.');
    } else if dot_last {
        rel.push_str("/.");
    } else if slash && !rel.ends_with("/.") && !rel.ends_with("/..") && rel != ".." {
        rel.push('/');
    }
    Loc::Preopen(i, rel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A fake host: paths inside preopen 0 (/tmp) with their entries.
    fn fs() -> HashMap<&'static str, Entry> {
        HashMap::from([
            ("d", Entry::Dir),
            ("d/e", Entry::Dir),
            ("f", Entry::Other),
            ("a", Entry::Symlink("d/e".into())),
            ("abs", Entry::Symlink("/etc".into())),
            ("up", Entry::Symlink("../..".into())),
            ("loop", Entry::Symlink("loop".into())),
        ])
    }

    fn ns() -> Namespace {
        Namespace::new(["/tmp", "/etc", "/work/go"].into_iter())
    }

    fn res(cwd: &str, p: &str, mode: Mode) -> Result<Loc, Errno> {
        let host = fs();
        ns().resolve(cwd, p, mode, |i, rel| match i {
            0 => host.get(rel).cloned().ok_or("ENOENT"),
            _ => Err("ENOENT"),
        })
    }

    fn fast(cwd: &str, p: &str) -> Result<Loc, Errno> {
        res(cwd, p, Mode::Fast)
    }

    fn full(p: &str) -> Result<Loc, Errno> {
        res("/", p, Mode::Full { follow_last: true })
    }

    fn pre(i: usize, rel: &str) -> Result<Loc, Errno> {
        Ok(Loc::Preopen(i, rel.into()))
    }

    #[test]
    fn inside_preopens_the_path_goes_to_wasi_as_given() {
        assert_eq!(fast("/", "/tmp/a/../x"), pre(0, "a/../x"));
        assert_eq!(fast("/", "/tmp"), pre(0, "."));
        assert_eq!(fast("/", "/tmp/"), pre(0, "."));
        assert_eq!(fast("/", "/tmp//d/./f"), pre(0, "d/f"));
        assert_eq!(fast("/", "/tmp/f/."), pre(0, "f/."));
        assert_eq!(fast("/", "/tmp/f/"), pre(0, "f/"));
        assert_eq!(fast("/tmp/d", "../f"), pre(0, "d/../f"));
        assert_eq!(fast("/tmp", "x"), pre(0, "x"));
        assert_eq!(fast("/work/go/src", "../bin"), pre(2, "src/../bin"));
    }

    #[test]
    fn climbing_above_a_preopen_walks_the_namespace() {
        assert_eq!(fast("/", "/tmp/../etc/passwd"), pre(1, "passwd"));
        assert_eq!(fast("/tmp", "../etc"), pre(1, "."));
        assert_eq!(fast("/tmp", ".."), Ok(Loc::Dir("/".into())));
        assert_eq!(fast("/", "/../../tmp/x"), pre(0, "x"));
        // `..` after a symlink is the parent of its target: a → d/e, so a/.. is d.
        assert_eq!(fast("/", "/tmp/a/../../../etc"), pre(1, "."));
        assert_eq!(fast("/", "/tmp/d/../../etc"), pre(1, "."));
        assert_eq!(fast("/", "/tmp/f/../../etc"), Err("ENOTDIR"));
        assert_eq!(fast("/", "/tmp/nope/../../etc"), Err("ENOENT"));
    }

    #[test]
    fn virtual_directories_and_devices() {
        assert_eq!(fast("/tmp", "/"), Ok(Loc::Dir("/".into())));
        assert_eq!(fast("/", "work"), Ok(Loc::Dir("/work".into())));
        assert_eq!(fast("/", "/work/go/.."), Ok(Loc::Dir("/work".into())));
        assert_eq!(fast("/", "/dev/null"), Ok(Loc::Device(Device::Null)));
        assert_eq!(fast("/dev", "stderr"), Ok(Loc::Device(Device::Std(2))));
        assert_eq!(fast("/", "/dev/null/"), Err("ENOTDIR"));
        assert_eq!(fast("/", "/dev/null/x"), Err("ENOTDIR"));
        assert_eq!(fast("/", "/home"), Ok(Loc::Outside));
        assert_eq!(fast("/", "/work/other/../go"), Ok(Loc::Outside));
        assert_eq!(fast("/", "/dev/zero"), Ok(Loc::Device(Device::Zero)));
        assert_eq!(fast("/", "/dev/random"), Ok(Loc::Outside));
        // A cwd outside the sandbox still resolves `..` out of it.
        assert_eq!(fast("/home/u", "x"), Ok(Loc::Outside));
        assert_eq!(fast("/home/u", "../../tmp/x"), pre(0, "x"));
        let ns = ns();
        assert_eq!(ns.children("/"), ["dev", "etc", "tmp", "work"]);
        assert_eq!(ns.children("/work"), ["go"]);
        assert_eq!(ns.children("/dev"), ["null", "stderr", "stdin", "stdout", "zero"]);
    }

    #[test]
    fn preopen_shadows_devices_and_nested_preopens_shadow_outer_ones() {
        let ns = Namespace::new(["/", "/tmp"].into_iter());
        let r = |p| ns.resolve("/", p, Mode::Fast, |_, _| Err("ENOENT"));
        assert_eq!(r("/dev/null"), pre(0, "dev/null"));
        assert_eq!(r("/tmp/x"), pre(1, "x"));
        assert_eq!(r("/tmp/../etc"), pre(0, "etc"));
        assert_eq!(r("/"), pre(0, "."));
    }

    #[test]
    fn full_mode_follows_every_symlink_in_the_namespace() {
        assert_eq!(full("/tmp/abs"), pre(1, "."));
        assert_eq!(full("/tmp/abs/passwd"), pre(1, "passwd"));
        assert_eq!(full("/tmp/up"), Ok(Loc::Dir("/".into())));
        assert_eq!(full("/tmp/up/etc/x"), pre(1, "x"));
        assert_eq!(full("/tmp/a"), pre(0, "d/e"));
        assert_eq!(full("/tmp/loop"), Err("ELOOP"));
        assert_eq!(full("/tmp/f/x"), Err("ENOTDIR"));
        assert_eq!(full("/tmp/nope/x"), Err("ENOENT"));
        assert_eq!(full("/tmp/new"), pre(0, "new"));
        let nofollow = res("/", "/tmp/abs", Mode::Full { follow_last: false });
        assert_eq!(nofollow, pre(0, "abs"));
        let slash = res("/", "/tmp/abs/", Mode::Full { follow_last: false });
        assert_eq!(slash, pre(1, "."));
    }
}
