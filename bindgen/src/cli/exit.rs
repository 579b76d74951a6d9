//! The exit statuses of the command line (bindgen/README.md says the same).

/// An error: unreadable or malformed input, a missing shim, an internal failure.
pub const ERROR: u8 = 1;
/// Unsupported input: well-formed, but not something `rewrite` handles.
pub const UNSUPPORTED: u8 = 3;

/// The statuses, as `--help` prints them.
pub const HELP: &str = "\
Exit status:
  0  done
  1  error: unreadable or malformed input, a missing shim component, an internal failure
  2  usage error (unknown option, missing argument)
  3  unsupported input (rewrite): well-formed, but not something rewrite handles: a flavour it
     does not rewrite, a WASI module that runs as is, a component, a toolchain version or an
     ABI (imports, exports) it does not know, or --as/--kv/--strict-proxy not applicable to it";

/// The status of a failed command: [`UNSUPPORTED`] when rewrite refused the input, else
/// [`ERROR`].
pub fn status(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<wasm_server_bindgen::RewriteError>() {
        Some(r) if r.is_unsupported() => UNSUPPORTED,
        _ => ERROR,
    }
}
