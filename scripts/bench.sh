#!/usr/bin/env bash
# bench.sh — builds the release binaries and runs the benchmarks against baselines measured in
# the same run (see crates/bench/src/main.rs for what each scenario measures).
#
#   ./scripts/bench.sh all                       # catch-up, snapshot, lag, big-transaction
#   ./scripts/bench.sh catch-up --scale 0.1      # a smaller data set
#   ./scripts/bench.sh all --write-results       # also writes bench/results/<date>-<host>.md
#   ./scripts/bench.sh snapshot --flavor mysql   # MySQL 9.7 instead of MariaDB 10.11
#
# As root on Debian/Ubuntu: installs what it needs (build packages, the source servers, Python's
# venv for the mysql-replication baseline), like the test suite.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export M2S_CACHE_DIR=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$M2S_CACHE_DIR/target}

./scripts/install-build-deps.sh
./scripts/provision-sources.sh >/dev/null
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
fi
ROCKSDB_LIB_DIR=$(./scripts/build-rocksdb.sh)
export ROCKSDB_LIB_DIR ROCKSDB_STATIC=1

cargo build --release --locked --workspace --bins --quiet
exec "$CARGO_TARGET_DIR/release/bench" "$@"
