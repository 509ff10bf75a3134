#!/usr/bin/env bash
# install-build-deps.sh — installs what building and testing need on Debian 12 / Ubuntu (as root):
# a C/C++ toolchain and libclang (RocksDB's C++ build and its bindgen bindings), curl, the MariaDB
# client, systemd (`systemd-analyze verify` checks the unit file), rustfmt/clippy and
# cargo-nextest. Only what is missing is installed.
set -euo pipefail

need_pkgs=()
for pkg in build-essential clang libclang-dev pkg-config curl ca-certificates mariadb-client systemd; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_pkgs[@]}"
fi
command -v cargo >/dev/null || {
  echo "error: cargo not found; install Rust first (https://rustup.rs), then run this again" >&2
  exit 1
}
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
