//! The argv/environment block `Go.run` writes into Go's memory before calling `run(argc, argv)`
//! (wasm_exec.js `run`: `strPtr`, `argvPtrs`, the `wasmMinDataAddr` check).

/// Go's linker places global data at or above this address (cmd/link `wasmMinDataAddr`).
pub const WASM_MIN_DATA_ADDR: u32 = 4096 + 8192;

/// What wasm_exec.js throws when the block does not fit; node prints it and exits 1.
pub const TOO_LONG: &str = "total length of command line and environment variables exceeds limit";

#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    pub argc: u32,
    /// Address of the pointer table.
    pub argv: u32,
    /// The bytes to place at `base`.
    pub bytes: Vec<u8>,
}

/// Lays out `args` and `env` at `base` exactly as wasm_exec.js does: each string (env as
/// `key=value`, keys sorted like `Object.keys(env).sort()`, a repeated key keeping its last
/// value) NUL-terminated and padded to 8 bytes, then a table of 8-byte entries (u32 address,
/// u32 0): the argv addresses, 0, the env addresses, 0. `Err` when it would reach
/// `WASM_MIN_DATA_ADDR`.
pub fn layout(base: u32, args: &[String], env: &[(String, String)]) -> Result<Block, &'static str> {
    let env = sorted_env(env);
    let mut bytes = Vec::new();
    let mut ptrs: Vec<u32> = Vec::with_capacity(args.len() + env.len() + 2);
    let put = |bytes: &mut Vec<u8>, parts: &[&str]| -> Result<u32, &'static str> {
        let ptr = addr(base, bytes.len())?;
        for p in parts {
            bytes.extend_from_slice(p.as_bytes());
        }
        bytes.push(0);
        bytes.resize(bytes.len().next_multiple_of(8), 0);
        Ok(ptr)
    };
    for a in args {
        ptrs.push(put(&mut bytes, &[a])?);
    }
    ptrs.push(0);
    for (k, v) in &env {
        ptrs.push(put(&mut bytes, &[k, "=", v])?);
    }
    ptrs.push(0);
    let argv = addr(base, bytes.len())?;
    for p in ptrs {
        bytes.extend_from_slice(&p.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
    }
    let end = base as u64 + bytes.len() as u64;
    if end >= WASM_MIN_DATA_ADDR as u64 {
        return Err(TOO_LONG);
    }
    Ok(Block { argc: args.len() as u32, argv, bytes })
}

fn addr(base: u32, offset: usize) -> Result<u32, &'static str> {
    u32::try_from(base as u64 + offset as u64).map_err(|_| TOO_LONG)
}

/// `Object.keys(env).sort()` over an object built by assigning each pair in order: one entry
/// per key (the last value wins), sorted by UTF-16 code units as `Array.prototype.sort` does.
fn sorted_env(env: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(env.len());
    for (k, v) in env {
        match out.iter_mut().find(|(ok, _)| *ok == k.as_str()) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn u32_at(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
    }

    #[test]
    fn lays_out_like_wasm_exec() {
        let env = vec![("B".to_string(), "2".to_string()), ("A".to_string(), "1".to_string())];
        let b = layout(4096, &s(&["app.wasm", "x"]), &env).unwrap();
        assert_eq!(b.argc, 2);
        // "app.wasm\0" = 9 bytes → 16; "x\0" → 8; "A=1\0" → 8; "B=2\0" → 8.
        assert_eq!(&b.bytes[0..9], b"app.wasm\0");
        assert_eq!(&b.bytes[16..18], b"x\0");
        assert_eq!(&b.bytes[24..28], b"A=1\0");
        assert_eq!(&b.bytes[32..36], b"B=2\0");
        assert_eq!(b.argv, 4096 + 40);
        let t = 40;
        let want = [4096, 4096 + 16, 0, 4096 + 24, 4096 + 32, 0];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(u32_at(&b.bytes, t + 8 * i), *w, "entry {i}");
            assert_eq!(u32_at(&b.bytes, t + 8 * i + 4), 0);
        }
        assert_eq!(b.bytes.len(), t + 8 * want.len());
    }

    #[test]
    fn env_keys_sorted_and_deduplicated() {
        let env = vec![
            ("b".to_string(), "1".to_string()),
            ("B".to_string(), "2".to_string()),
            ("b".to_string(), "3".to_string()),
        ];
        assert_eq!(sorted_env(&env), vec![("B", "2"), ("b", "3")]);
    }

    #[test]
    fn empty_block_is_two_terminators() {
        let b = layout(4096, &[], &[]).unwrap();
        assert_eq!(b.argc, 0);
        assert_eq!(b.argv, 4096);
        assert_eq!(b.bytes, vec![0; 16]);
    }

    #[test]
    fn refuses_blocks_reaching_go_data() {
        let big = "x".repeat(8200);
        assert_eq!(layout(4096, &[big], &[]), Err(TOO_LONG));
        // A 3-entry table (24 bytes) after one string: 8167 chars + NUL end exactly at 12288.
        assert_eq!(layout(4096, &["y".repeat(8167)], &[]), Err(TOO_LONG));
        assert!(layout(4096, &["y".repeat(8159)], &[]).is_ok());
    }
}
