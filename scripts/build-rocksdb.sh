#!/usr/bin/env bash
# build-rocksdb.sh — builds the RocksDB C++ library once per machine and prints its directory.
#
# The `rocksdb` crate compiles RocksDB from C++ source in its build script (~20 minutes on 2 cores)
# and does it again for every distinct feature set Cargo resolves (`-p`, `--workspace`,
# `--all-targets` differ), so it could be compiled several times per run. Instead the library is
# built once into the cache and every build links it through the crate's own switches:
#   export ROCKSDB_LIB_DIR="$(scripts/build-rocksdb.sh)" ROCKSDB_STATIC=1
# The cache key is the librocksdb-sys version in Cargo.lock, so a version bump rebuilds it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
version=$(awk '/^name = "librocksdb-sys"/ { getline; gsub(/[^0-9A-Za-z.+_-]/, "", $3); print $3 }' \
  "$repo/Cargo.lock" | sed 's/^version=//')
[[ -n $version ]] || { echo "build-rocksdb: librocksdb-sys not found in Cargo.lock" >&2; exit 1; }
libdir="$cache/rocksdb-$version/lib"
if [[ ! -s $libdir/librocksdb.a ]]; then
  echo "build-rocksdb: building RocksDB ($version) once; this takes ~20 minutes on 2 cores" >&2
  build_dir="$cache/rocksdb-build"
  (cd "$repo" && ROCKSDB_COMPILE=1 CARGO_TARGET_DIR="$build_dir" \
    cargo build --locked --quiet -p librocksdb-sys >&2)
  built=$(ls -t "$build_dir"/debug/build/librocksdb-sys-*/out/librocksdb.a 2>/dev/null | head -n 1)
  [[ -n $built ]] || { echo "build-rocksdb: the build produced no librocksdb.a" >&2; exit 1; }
  mkdir -p "$libdir"
  cp "$built" "$libdir/librocksdb.a.tmp"
  mv "$libdir/librocksdb.a.tmp" "$libdir/librocksdb.a"
  rm -rf "$build_dir"
fi
echo "$libdir"
