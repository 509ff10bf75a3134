#!/usr/bin/env bash
# quickstart.sh — the whole pipeline on one machine, end to end, in one command.
#
# As root on a fresh Debian 12 / Ubuntu machine:
#   ./scripts/quickstart.sh            # MariaDB 10.11 source (default)
#   ./scripts/quickstart.sh --mysql    # MySQL 9.7 source
#
# It provisions and starts a local source server with row binlog, creates a small `shop` database
# with live writes (inserts, updates, deletes every second), starts `starrocks-emulator` (a local
# StarRocks stand-in), creates the target primary-key tables, writes a config file and runs
# `mysql2starrocks run` on it, printing row counts of both sides every few seconds so you can see
# rows arrive. Ctrl-C stops everything cleanly (the daemon flushes and checkpoints first).
# Everything lives under $QUICKSTART_DIR (default /tmp/mysql2starrocks-quickstart). Ports can be
# moved with QUICKSTART_SOURCE_PORT, QUICKSTART_FE_PORT, QUICKSTART_BE_PORT,
# QUICKSTART_QUERY_PORT and QUICKSTART_ADMIN_PORT; QUICKSTART_BIN_DIR names a directory holding
# both binaries already built (skips the build).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
flavor=mariadb
[[ ${1:-} == --mysql ]] && flavor=mysql
cache=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
export M2S_CACHE_DIR=$cache
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/target}
work=${QUICKSTART_DIR:-/tmp/mysql2starrocks-quickstart}
source_port=${QUICKSTART_SOURCE_PORT:-13306}
fe_port=${QUICKSTART_FE_PORT:-18030} be_port=${QUICKSTART_BE_PORT:-18040}
query_port=${QUICKSTART_QUERY_PORT:-19030} admin_port=${QUICKSTART_ADMIN_PORT:-19501}
# With QUICKSTART_RUN_SECONDS=N the live writes stop after N seconds, the script waits until
# StarRocks equals the source (or fails), then stops everything (used by the test suite).
run_seconds=${QUICKSTART_RUN_SECONDS:-}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

servers="MariaDB 10.11"
[[ $flavor == mysql ]] && servers="MariaDB 10.11, MySQL 9.7"
say "installing what is missing (build packages, $servers)"
./scripts/install-build-deps.sh
./scripts/provision-sources.sh >/dev/null
ROCKSDB_LIB_DIR=$(./scripts/build-rocksdb.sh)
export ROCKSDB_LIB_DIR ROCKSDB_STATIC=1

if [[ -n ${QUICKSTART_BIN_DIR:-} ]]; then
  # Binaries built already (the test suite passes its own).
  bin=$QUICKSTART_BIN_DIR
else
  say "building mysql2starrocks and starrocks-emulator (the first build takes a while: RocksDB is C++)"
  # The same build as the test suite (shares its artifacts when both have run).
  cargo build --locked --workspace --all-targets --quiet
  bin=$CARGO_TARGET_DIR/debug
fi

pids=()
cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  # One at a time, daemon first: it flushes and checkpoints while the target is still up. (Both
  # run in their own session, so Ctrl-C reaches only this script, which stops them in order.)
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  ./scripts/source-server.sh stop --dir "$work/source" >/dev/null 2>&1 || true
  say "stopped; files are in $work"
}
trap cleanup EXIT INT TERM

rm -rf "$work" && mkdir -p "$work"
say "starting $flavor on 127.0.0.1:$source_port"
./scripts/source-server.sh start --flavor "$flavor" --port "$source_port" --dir "$work/source" >/dev/null
if [[ $flavor == mysql ]]; then
  sql() { "$cache/mysql-9.7/bin/mysql" --no-defaults -h127.0.0.1 -P"$source_port" -uadmin -padmin-pw --ssl-mode=REQUIRED -N -e "$1" 2>/dev/null; }
else
  sql() { mariadb --no-defaults -h127.0.0.1 -P"$source_port" -uadmin -padmin-pw -N -e "$1"; }
fi
target_sql() { mariadb --no-defaults -h127.0.0.1 -P"$query_port" -uroot -N -e "$1"; }

say "creating the sample database shop (customers, orders)"
sql "CREATE DATABASE shop;
CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(128), created_at DATETIME(6) NOT NULL);
CREATE TABLE shop.orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, status ENUM('new','paid','shipped') NOT NULL, note TEXT, updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3));"

say "writing sample rows (copied by the initial snapshot)"
for i in $(seq 1 20); do
  sql "INSERT INTO shop.customers VALUES ($i, 'customer $i', 'c$i@example.com', NOW(6));"
done
sql "INSERT INTO shop.orders (customer_id, amount, status, note) SELECT id, id * 3.5, 'new', CONCAT('first order of ', name) FROM shop.customers;"

say "starting starrocks-emulator (FE http $fe_port, BE http $be_port, query $query_port)"
setsid "$bin/starrocks-emulator" --fe-http-port $fe_port --be-http-port $be_port --query-port $query_port \
  >"$work/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q ready "$work/emulator.log" && break; sleep 0.1; done
grep -q ready "$work/emulator.log" || { cat "$work/emulator.log"; exit 1; }

say "creating the target primary-key tables"
target_sql "CREATE DATABASE shop;
CREATE TABLE shop.customers (id INT NOT NULL, name VARCHAR(256) NOT NULL, email VARCHAR(512), created_at DATETIME NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id);
CREATE TABLE shop.orders (id BIGINT NOT NULL, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, status VARCHAR(32) NOT NULL, note STRING, updated_at DATETIME NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id);"

tls=disable
[[ $flavor == mysql ]] && tls=require
cat >"$work/config.yaml" <<EOF
source:
  host: 127.0.0.1
  port: $source_port
  user: repl
  password: "\${QUICKSTART_SOURCE_PASSWORD}"
  server_id: 5401
  tls: $tls
  tables: ["shop.*"]
target:
  load_url: ["127.0.0.1:$fe_port"]
  query_address: "127.0.0.1:$query_port"
  user: root
  password: ""
  flush_interval_ms: 1000
snapshot:
  mode: initial
state_dir: ./state
admin:
  listen: "127.0.0.1:$admin_port"
EOF
say "config written to $work/config.yaml"

say "starting mysql2starrocks (Ctrl-C to stop)"
QUICKSTART_SOURCE_PASSWORD=repl-pw setsid "$bin/mysql2starrocks" run --config "$work/config.yaml" &
daemon=$!
pids=("$daemon" "${pids[@]}")
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || exit 1
  sleep 0.2
done

# Live writes: a few inserts, updates and deletes every second.
(
  n=0
  while true; do
    n=$((n + 1))
    c=$((RANDOM % 20 + 1))
    sql "INSERT INTO shop.orders (customer_id, amount, status, note) VALUES ($c, $((RANDOM % 10000)).$((RANDOM % 100)), 'new', 'order $n'), ($((c % 20 + 1)), 12.50, 'new', 'tab\there');
UPDATE shop.orders SET status = 'paid' WHERE status = 'new' AND id % 3 = 0;
UPDATE shop.customers SET email = CONCAT('c', id, '+', $n, '@example.com') WHERE id = $c;
DELETE FROM shop.orders WHERE status = 'paid' AND id % 7 = 0;" || true
    sleep 1
  done
) &
writer=$!
pids+=("$writer")

# The replicated columns both sides print alike, ordered by key (the final check).
dump_source() {
  sql "SELECT id, name, email FROM shop.customers ORDER BY id; SELECT id, customer_id, amount, status, note FROM shop.orders ORDER BY id"
}
dump_target() {
  target_sql "SELECT id, name, email FROM shop.customers ORDER BY id; SELECT id, customer_id, amount, status, note FROM shop.orders ORDER BY id"
}

started=$SECONDS
while kill -0 "$daemon" 2>/dev/null; do
  if [[ -n $run_seconds ]] && (( SECONDS - started >= run_seconds )); then
    kill "$writer" 2>/dev/null || true
    wait "$writer" 2>/dev/null || true
    for _ in $(seq 1 60); do
      if diff <(dump_source) <(dump_target) >/dev/null 2>&1; then
        say "StarRocks equals the source, row by row"
        exit 0
      fi
      sleep 1
    done
    say "StarRocks does not equal the source:"
    diff <(dump_source) <(dump_target) | head -20 || true
    exit 1
  fi
  sleep 5
  src=$(sql "SELECT (SELECT COUNT(*) FROM shop.customers), (SELECT COUNT(*) FROM shop.orders)" | tr '\t' ' ')
  dst=$(target_sql "SELECT COUNT(*) FROM shop.customers" 2>/dev/null || echo "?")
  dst2=$(target_sql "SELECT COUNT(*) FROM shop.orders" 2>/dev/null || echo "?")
  printf '    rows  source (customers, orders): %-12s  starrocks: %s %s\n' "$src" "$dst" "$dst2"
done
wait "$daemon"
