#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls exactly this script).
#
# On a fresh Debian 12 / Ubuntu machine, as root: installs what is missing (build packages,
# cargo-nextest, MariaDB 10.11, the MySQL 9.7 files), checks formatting and lints, builds, and runs
# every test against real MariaDB 10.11 and MySQL 9.7 servers and the StarRocks emulator.
# Servers are started and stopped by the tests themselves; nothing is skipped: a server that
# cannot start fails its tests.
#
# Build products go to CARGO_TARGET_DIR (default: a cache directory outside the clone), and the
# RocksDB C++ library (~20 min to build on 2 cores) is built once per machine into the same cache
# (scripts/build-rocksdb.sh). Set M2S_CACHE_DIR to move the cache.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cache=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
export M2S_CACHE_DIR=$cache
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/target}
mkdir -p "$cache"

say() { printf '==> %s\n' "$*"; }

# 1. Build prerequisites (C++ toolchain and libclang for RocksDB, cargo-nextest).
say "checking build prerequisites"
./scripts/install-build-deps.sh

# RocksDB's C++ library: built once per machine into the cache, then linked by every build.
say "RocksDB library"
ROCKSDB_LIB_DIR=$(./scripts/build-rocksdb.sh)
export ROCKSDB_LIB_DIR ROCKSDB_STATIC=1

# 2. Real source servers: MariaDB 10.11 (Debian packages) and MySQL 9.7 (Debian sid files).
say "provisioning MariaDB 10.11 and MySQL 9.7"
./scripts/provision-sources.sh

# 3. Style and lints.
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# 4. Build and run every test.
say "building tests"
cargo nextest run --workspace --locked --no-run
say "running tests"
cargo nextest run --workspace --locked --profile ci
