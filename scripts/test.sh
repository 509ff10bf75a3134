#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls exactly this script).
#
# On a fresh Debian 12 / Ubuntu machine, as root: installs what is missing (build packages,
# cargo-nextest, MariaDB 10.11, the MySQL 9.7 files), checks formatting and lints, builds, and runs
# every test against real MariaDB 10.11 and MySQL 9.7 servers and the StarRocks emulator.
# Servers are started and stopped by the tests themselves; nothing is skipped: a server that
# cannot start fails its tests.
#
# Build products go to CARGO_TARGET_DIR (default: a fixed cache directory outside the clone, so
# the ~20 min RocksDB C++ build is done once per machine). Set M2S_CACHE_DIR to move the cache.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cache=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
export M2S_CACHE_DIR=$cache
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/target}
mkdir -p "$cache"

say() { printf '==> %s\n' "$*"; }

# 1. Build prerequisites (bindgen for RocksDB needs libclang; the C parts need a C++ compiler).
need_pkgs=()
for pkg in build-essential clang libclang-dev pkg-config curl ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing build packages: ${need_pkgs[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_pkgs[@]}"
fi
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust with rustup first" >&2; exit 1; }
if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

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
