//! The allocator's settings for binaries that use mimalloc (wasm-server's, ci/bench's).
//!
//! mimalloc is the global allocator because a served request allocates and frees some fifty
//! times, and glibc's malloc took a fifth of the host's instructions per request. Its defaults
//! return freed memory only a second later, when its thread next allocates or frees, and commit
//! whole arenas up front: after compiling a Go component (Cranelift on every core, then idle
//! threads) the server kept ~390 MiB resident against glibc's ~230 MiB, and ~66 MiB against
//! ~34 MiB when loading from the cache. Returning freed memory at once and committing arenas as
//! used brings the first to ~140 MiB and the second to ~55 MiB (set here, after the allocations
//! made before `main`; set through `MIMALLOC_*` variables before start, ~105 and ~34 MiB, and an
//! operator's variables win over this module). Under load the extra `madvise` calls are about
//! one per 200 requests.

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// mimalloc 3's `mi_option_arena_eager_commit` (include/mimalloc.h: the fifth option; the
/// Rust bindings name only some of them).
const ARENA_EAGER_COMMIT: mi_option_t = 4;
/// mimalloc 3's `mi_option_purge_delay`: milliseconds before freed memory is returned.
const PURGE_DELAY: mi_option_t = 15;

/// The variables by which an operator sets the same options (mimalloc reads them itself);
/// when one is set, its option is left as it says.
const ARENA_EAGER_COMMIT_VARS: [&str; 2] = ["MIMALLOC_ARENA_EAGER_COMMIT", "MIMALLOC_EAGER_REGION_COMMIT"];
const PURGE_DELAY_VARS: [&str; 2] = ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"];

fn operator_set(vars: &[&str]) -> bool {
    vars.iter().any(|v| std::env::var_os(v).is_some())
}

/// Applies the settings. Call first thing in `main`, before any other thread starts:
/// mimalloc reads options without synchronisation.
pub fn configure() {
    for (option, vars) in [(ARENA_EAGER_COMMIT, &ARENA_EAGER_COMMIT_VARS), (PURGE_DELAY, &PURGE_DELAY_VARS)] {
        if !operator_set(vars) {
            // SAFETY: called before other threads start (see above), so nothing reads the
            // option while it is written.
            unsafe { mi_option_set(option, 0) };
        }
    }
}

/// The values in effect, for the test that the option numbers are the ones meant.
pub fn settings() -> (i64, i64) {
    // SAFETY: reading an option has no precondition.
    unsafe { (mi_option_get(ARENA_EAGER_COMMIT) as i64, mi_option_get(PURGE_DELAY) as i64) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn option_numbers_name_the_options_meant() {
        // Before `configure`, each option holds its default (src/options.c): arena eager commit
        // 2 (which means: eager where the OS overcommits), purge delay 1000 ms. A mimalloc whose
        // numbering moved fails here instead of silently setting something else. An operator's
        // variables change both the defaults and what `configure` does.
        if super::operator_set(&super::ARENA_EAGER_COMMIT_VARS) || super::operator_set(&super::PURGE_DELAY_VARS) {
            return;
        }
        assert_eq!(super::settings(), (2, 1000));
        super::configure();
        assert_eq!(super::settings(), (0, 0));
    }
}
