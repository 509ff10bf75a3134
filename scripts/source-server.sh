#!/usr/bin/env bash
# source-server.sh — start, stop or inspect one real MariaDB 10.11 / MySQL 9.7 test server.
#
# Usage:
#   source-server.sh start  --flavor mariadb|mysql --port P --dir DIR [--server-id N]
#                           [--watch-pid PID] [--remove-dir-on-owner-exit] [-- EXTRA_SERVER_ARGS...]
#   source-server.sh stop   --dir DIR      SIGTERM, wait (SIGKILL after M2S_STOP_TIMEOUT s, default 60)
#   source-server.sh kill   --dir DIR      SIGKILL and wait until the process is gone
#   source-server.sh status --dir DIR      prints "running pid=… port=…" (exit 0) or "stopped" (exit 3)
#
# Needs `scripts/provision-sources.sh` to have run (it fills M2S_CACHE_DIR, default
# /var/cache/mysql2starrocks). Everything a server owns lives in DIR:
#   DIR/data        data directory; on first start a copy of $CACHE/templates/<flavor>
#                   (MySQL: auto.cnf removed, so every copy gets its own server_uuid). A later
#                   `start` on the same DIR reuses the data (restart keeps data, binlogs, GTIDs).
#   DIR/tmp, DIR/files (tmpdir, secure-file-priv), DIR/mysqld.sock, DIR/mysqld.pid,
#   DIR/error.log, DIR/stdout.log, DIR/server.env (flavor, port, server id of the last start).
# The server listens on 127.0.0.1:P only, with: log-bin, binlog_format=ROW,
# binlog_row_image=FULL, binlog_row_metadata=FULL, utf8mb4, a 128M buffer pool, skip-name-resolve,
# and for MySQL also gtid_mode=ON, enforce_gtid_consistency=ON, mysqlx=OFF (TLS stays on with the
# certificates generated at initialise). Arguments after `--` are appended to the server's
# command line (they win over the defaults above), e.g. `-- --binlog-row-image=MINIMAL`.
# Users (created in the templates): admin/admin-pw (ALL PRIVILEGES) and repl/repl-pw
# (REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES), host '%'; root has no
# password on the socket.
# `start` returns once the server accepts connections on the socket and `admin` can log in over
# TCP; on failure (or after M2S_START_TIMEOUT s, default 60) it prints the error log's tail and
# exits non-zero. With --watch-pid, a small watcher SIGKILLs the server when process PID exits
# (e.g. a test process killed before it could stop its servers), and with
# --remove-dir-on-owner-exit then also removes DIR.
set -euo pipefail

CACHE=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
MARKER="$CACHE/provisioned-v1"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { printf 'source-server: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
flavor="" port="" dir="" server_id="" watch_pid="" remove_dir=0
extra=()
while (($#)); do
  case "$1" in
    --flavor) flavor=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --server-id) server_id=${2:?}; shift 2 ;;
    --watch-pid) watch_pid=${2:?}; shift 2 ;;
    --remove-dir-on-owner-exit) remove_dir=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ -n $dir ]] || die "--dir is required"
if [[ $cmd == start ]]; then
  mkdir -p "$dir"
elif [[ ! -d $dir ]]; then
  [[ $cmd == status ]] && { echo "stopped dir=$dir"; exit 3; }
  echo "not running: $dir"
  exit 0
fi
dir=$(cd "$dir" && pwd)
data="$dir/data" sock="$dir/mysqld.sock" pidfile="$dir/mysqld.pid" errlog="$dir/error.log"

# The pid of the server running on DIR, or nothing. Checks the command line so that a reused
# pid of an unrelated process is never signalled.
server_pid() {
  local pid
  [[ -r $pidfile ]] || return 0
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid ]] || return 0
  alive "$pid" || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--datadir=$data " || return 0
  echo "$pid"
}
# True while PID exists and is not a zombie (servers are reparented; a zombie is dead).
alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z ]]
}
wait_gone() { # PID TIMEOUT_SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done
  return 1
}

case "$cmd" in
  status)
    pid=$(server_pid)
    if [[ -n $pid ]]; then
      # shellcheck disable=SC1091
      [[ -r $dir/server.env ]] && source "$dir/server.env"
      echo "running pid=$pid flavor=${FLAVOR:-?} port=${PORT:-?} server_id=${SERVER_ID:-?} dir=$dir"
      exit 0
    fi
    echo "stopped dir=$dir"
    exit 3
    ;;
  stop | kill)
    pid=$(server_pid)
    if [[ -z $pid ]]; then echo "not running: $dir"; exit 0; fi
    if [[ $cmd == kill ]]; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 30 || die "pid $pid still alive 30 s after SIGKILL"
    else
      kill -TERM "$pid" 2>/dev/null || true
      if ! wait_gone "$pid" "${M2S_STOP_TIMEOUT:-60}"; then
        echo "source-server: pid $pid ignored SIGTERM for ${M2S_STOP_TIMEOUT:-60} s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 30 || die "pid $pid still alive 30 s after SIGKILL"
      fi
    fi
    rm -f "$pidfile"
    exit 0
    ;;
  start) ;;
  *) usage ;;
esac

# ---------------------------------------------------------------------------------------------
# start
[[ $flavor == mariadb || $flavor == mysql ]] || die "--flavor must be mariadb or mysql"
[[ $port =~ ^[0-9]+$ ]] || die "--port must be a number"
server_id=${server_id:-1}
[[ $server_id =~ ^[0-9]+$ ]] || die "--server-id must be a number"
[[ -e $MARKER ]] || die "sources are not provisioned ($MARKER missing): run sudo $SCRIPT_DIR/provision-sources.sh"
((${#sock} < 100)) || die "socket path too long (${#sock} chars, max 107): use a shorter --dir"
pid=$(server_pid)
[[ -z $pid ]] || die "a server already runs on $dir (pid $pid)"

arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) TRIPLET=x86_64-linux-gnu LOADER=ld-linux-x86-64.so.2 ;;
  arm64) TRIPLET=aarch64-linux-gnu LOADER=ld-linux-aarch64.so.1 ;;
  *) die "unsupported architecture $arch" ;;
esac
MYSQL_ROOT="$CACHE/mysql-9.7/root"

if [[ ! -d $data ]]; then
  template="$CACHE/templates/$flavor"
  [[ -d $template/mysql ]] || die "template $template missing: run sudo $SCRIPT_DIR/provision-sources.sh"
  cp -a --reflink=auto "$template" "$data.tmp" || die "copying $template failed"
  rm -f "$data.tmp/auto.cnf"
  mv "$data.tmp" "$data"
fi
mkdir -p "$dir/tmp" "$dir/files"
rm -f "$pidfile"
printf 'FLAVOR=%s\nPORT=%s\nSERVER_ID=%s\n' "$flavor" "$port" "$server_id" >"$dir/server.env"

common=(--no-defaults --user=root --datadir="$data" --tmpdir="$dir/tmp" --socket="$sock"
  --pid-file="$pidfile" --log-error="$errlog" --port="$port" --bind-address=127.0.0.1
  --skip-name-resolve --server-id="$server_id" --secure-file-priv="$dir/files"
  --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL
  --character-set-server=utf8mb4 --innodb-buffer-pool-size=128M)
if [[ $flavor == mariadb ]]; then
  server=(/usr/sbin/mariadbd "${common[@]}" --log-bin=mysql-bin --collation-server=utf8mb4_general_ci)
  client=(/usr/bin/mariadb --no-defaults)
else
  server=("$MYSQL_ROOT/usr/lib/$TRIPLET/$LOADER" --library-path "$MYSQL_ROOT/usr/lib/$TRIPLET"
    "$MYSQL_ROOT/usr/sbin/mysqld" "${common[@]}" --basedir="$MYSQL_ROOT/usr"
    --plugin-dir="$MYSQL_ROOT/usr/lib/mysql/plugin" --lc-messages-dir="$MYSQL_ROOT/usr/share/mysql"
    --character-sets-dir="$MYSQL_ROOT/usr/share/mysql/charsets" --mysqlx=OFF
    --log-bin=binlog --gtid-mode=ON --enforce-gtid-consistency=ON)
  client=("$CACHE/mysql-9.7/bin/mysql" --no-defaults)
fi
server+=("${extra[@]}")

# Own session, no terminal, output to files: the server outlives this script and holds none of
# the caller's pipes open.
setsid "${server[@]}" </dev/null >>"$dir/stdout.log" 2>&1 &
launched=$!

fail() {
  echo "---- tail of $errlog ----" >&2
  tail -n 40 "$errlog" >&2 2>/dev/null || true
  echo "---- end of log ----" >&2
  if [[ -s $dir/stdout.log ]]; then
    echo "---- tail of $dir/stdout.log ----" >&2
    tail -n 10 "$dir/stdout.log" >&2 || true
  fi
  local p
  p=$(server_pid)
  [[ -n $p ]] && kill -KILL "$p" 2>/dev/null
  alive "$launched" && kill -KILL "$launched" 2>/dev/null
  die "$flavor server on 127.0.0.1:$port ($dir): $*"
}

deadline=$(($(date +%s) + ${M2S_START_TIMEOUT:-60}))
# Cheap check first (the socket appears when the server is ready), then a real query.
until [[ -S $sock ]] && "${client[@]}" -uroot --socket="$sock" -e 'SELECT 1' >/dev/null 2>&1; do
  alive "$launched" || fail "the server process exited during start"
  (($(date +%s) < deadline)) || fail "not ready after ${M2S_START_TIMEOUT:-60} s"
  sleep 0.05
done
out=$("${client[@]}" -h127.0.0.1 -P"$port" -uadmin -padmin-pw -N -e 'SELECT @@port' 2>"$dir/tmp/tcp-check.err") \
  || fail "admin cannot log in over TCP: $(grep -v 'password on the command line' "$dir/tmp/tcp-check.err")"
[[ $out == "$port" ]] || fail "TCP port $port answered by another server (@@port=$out)"
pid=$(server_pid)
[[ -n $pid ]] || fail "pid file $pidfile missing or not this server's"

if [[ -n $watch_pid ]]; then
  # Watcher: exits with the server; SIGKILLs it (and maybe removes DIR) when the owner is gone.
  setsid bash -c '
    owner=$1 server=$2 dir=$3 remove=$4
    alive() { local st; st=$(awk "{print \$3}" "/proc/$1/stat" 2>/dev/null) || return 1; [[ -n $st && $st != Z ]]; }
    while alive "$server"; do
      if ! alive "$owner"; then
        kill -KILL "$server" 2>/dev/null
        while alive "$server"; do sleep 0.1; done
        [[ $remove == 1 ]] && rm -rf -- "$dir"
        exit 0
      fi
      sleep 0.5
    done' source-server-watch "$watch_pid" "$pid" "$dir" "$remove_dir" </dev/null >/dev/null 2>&1 &
fi
echo "started $flavor pid=$pid port=$port server_id=$server_id dir=$dir"
