//! Errors of the library. Each one says what went wrong, where (file, byte offset, import) and,
//! where there is one, what to do about it.

use std::path::PathBuf;

/// Errors reading and parsing an input.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    // The io error is part of the one-line message, not a separate cause.
    #[error("{path}: cannot read: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("{path}: is a directory, not a .wasm file")]
    Directory { path: PathBuf },
    #[error("{path}: empty file, not WebAssembly")]
    Empty { path: PathBuf },
    #[error("{path}: not WebAssembly (the file does not start with the \\0asm magic bytes{hint})")]
    NotWasm { path: PathBuf, hint: &'static str },
    #[error("{path}: unsupported WebAssembly binary version {version:#x} (expected 1 for a core module or 0x1000d for a component)")]
    UnknownVersion { path: PathBuf, version: u32 },
    #[error("{path}: truncated WebAssembly: the file ends at byte {len} inside a section (offset {offset:#x}); was the download or build cut short?")]
    Truncated { path: PathBuf, offset: usize, len: usize },
    #[error("{path}: {trailing} bytes at offset {offset:#x} after the last complete section are not a section (unknown section id {id:#x}): trailing garbage?")]
    TrailingGarbage { path: PathBuf, offset: usize, trailing: usize, id: u8 },
    #[error("{path}: invalid WebAssembly at offset {offset:#x}: {message}")]
    Invalid { path: PathBuf, offset: usize, message: String },
}

/// The highest section id core modules (13, tag) and components (11) use.
const MAX_SECTION_ID: u8 = 13;

impl InputError {
    /// Maps a wasmparser error on `path` (of `len` bytes) to the matching variant.
    /// `section_start`: where the section being read when the error came began.
    pub(crate) fn from_parser(
        path: &std::path::Path,
        bytes: &[u8],
        section_start: usize,
        e: wasmparser::BinaryReaderError,
    ) -> Self {
        let len = bytes.len();
        let offset = e.offset() as usize;
        let message = e.message().to_string();
        // wasmparser reports reads past the end as "unexpected end-of-file". When that
        // happens on a section header whose id no section has, the bytes are not a cut-off
        // section but something appended to a complete binary.
        let unknown_id = bytes.get(section_start).filter(|id| **id > MAX_SECTION_ID);
        if let Some(&id) = unknown_id.filter(|_| message.contains("unexpected end") || message.contains("section")) {
            InputError::TrailingGarbage {
                path: path.to_path_buf(),
                offset: section_start,
                trailing: len - section_start,
                id,
            }
        } else if message.contains("unexpected end") || offset >= len {
            InputError::Truncated { path: path.to_path_buf(), offset, len }
        } else {
            InputError::Invalid { path: path.to_path_buf(), offset, message }
        }
    }
}
