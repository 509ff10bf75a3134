#!/usr/bin/env bash
# provision-sources.sh — install the real MySQL-family source servers the test bed runs.
#
# Run as root on a Debian 12 (bookworm) or Ubuntu machine. Idempotent: the first run takes
# ~1 minute, later runs only verify what is there (a second or so) and print it.
#
# What it provides (everything outside the clone, under CACHE):
#   * MariaDB 10.11 from the host's Debian packages (`mariadb-server`, `mariadb-client`),
#     installed with apt-get only if missing (waits for the dpkg lock if another apt runs).
#   * Oracle MySQL 9.7 from the Debian *sid* packages `mysql-server-core` and `mysql-client-core`
#     plus their whole dependency closure, downloaded with a private apt configuration (own
#     sources.list for the sid suite of the host's Debian mirror, empty dpkg status, own lists and
#     archive cache under $CACHE/mysql-9.7/apt; the host's apt state is never touched), unpacked
#     with `dpkg-deb -x` into $CACHE/mysql-9.7/root and run through that root's own dynamic
#     loader (`ld-linux-*.so --library-path ROOT/usr/lib/<triplet> ...`). Wrappers for
#     mysqld, mysql, mysqladmin, mysqlbinlog and mysqldump are written to $CACHE/mysql-9.7/bin.
#   * Initialised data-directory templates $CACHE/templates/mariadb and $CACHE/templates/mysql,
#     already containing the users every test server has:
#       admin / admin-pw  ALL PRIVILEGES (WITH GRANT OPTION), host '%'
#       repl  / repl-pw   REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES
#     (MySQL users use caching_sha2_password; its TLS and RSA key files generated at initialise
#     stay in the template). `auto.cnf` is removed from the MySQL template so each copy gets its
#     own server_uuid. `scripts/source-server.sh` copies a template to start a server.
#   * A marker file $CACHE/provisioned-v1 written last; when it exists a run only verifies.
#
# Environment:
#   M2S_CACHE_DIR          cache root (default /var/cache/mysql2starrocks)
#   M2S_DEBIAN_MIRROR      Debian mirror URL for sid (default: the host's own apt sources; none
#                          there is an error naming this variable)
#   M2S_MYSQL_SNAPSHOT     a snapshot.debian.org timestamp (e.g. 20260401T000000Z) to take sid
#                          from when sid itself has moved past MySQL 9.7
#   M2S_FORCE=1            redo everything except the MariaDB apt install
#
# Exit status is non-zero with a line "provision-sources: ERROR: ..." naming what failed.
set -euo pipefail

CACHE=${M2S_CACHE_DIR:-/var/cache/mysql2starrocks}
MARKER="$CACHE/provisioned-v1"
MYSQL_DIR="$CACHE/mysql-9.7"
MYSQL_ROOT="$MYSQL_DIR/root"
TEMPLATES="$CACHE/templates"
# Wrappers written to $MYSQL_DIR/bin (section 2's loop); `verify` checks they exist.
MYSQL_WRAPPERS="mysqld mysql mysqladmin mysqlbinlog mysqldump"
WANT_MYSQL_SERIES="9.7"
ADMIN_USER=admin ADMIN_PW=admin-pw REPL_USER=repl REPL_PW=repl-pw

log() { printf 'provision-sources: %s\n' "$*" >&2; }
die() { printf 'provision-sources: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
T0=$(now_ms)

# ---------------------------------------------------------------------------------------------
# Architecture: the multiarch triplet and the dynamic loader name of the host.
arch=$(dpkg --print-architecture 2>/dev/null) || die "dpkg not found: this script needs Debian or Ubuntu"
case "$arch" in
  amd64) TRIPLET=x86_64-linux-gnu LOADER=ld-linux-x86-64.so.2 ;;
  arm64) TRIPLET=aarch64-linux-gnu LOADER=ld-linux-aarch64.so.1 ;;
  *) die "unsupported architecture '$arch' (amd64 and arm64 are supported)" ;;
esac
MYSQL_LIBDIR="$MYSQL_ROOT/usr/lib/$TRIPLET"
MYSQL_LOADER="$MYSQL_LIBDIR/$LOADER"

# Runs a binary of the unpacked MySQL root through that root's own loader.
mysql_run() { # BINARY ARGS...
  local bin=$1; shift
  "$MYSQL_LOADER" --library-path "$MYSQL_LIBDIR" "$MYSQL_ROOT/$bin" "$@"
}

# Waits until a mysqld/mariadbd answers on its socket; $1 = client command (array name),
# $2 = pid, $3 = error log. Fails with the log tail.
wait_ready() {
  local -n _cl=$1
  local pid=$2 errlog=$3 i
  for ((i = 0; i < 600; i++)); do
    if "${_cl[@]}" -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$errlog" >&2 || true
      die "template server exited during start (log above: $errlog)"
    fi
    sleep 0.1
  done
  tail -n 30 "$errlog" >&2 || true
  die "template server not ready after 60 s (log above: $errlog)"
}

stop_pid() { # PID
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie (not reaped by our parent) is already dead.
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

users_sql() { # FLAVOR
  cat <<SQL
SET sql_log_bin = 0;
CREATE USER IF NOT EXISTS '$ADMIN_USER'@'%' IDENTIFIED BY '$ADMIN_PW';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'%' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS '$REPL_USER'@'%' IDENTIFIED BY '$REPL_PW';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES ON *.* TO '$REPL_USER'@'%';
SQL
  if [[ $1 == mariadb ]]; then
    # No anonymous accounts (they would shadow '%' accounts for some hosts).
    echo "DELETE FROM mysql.global_priv WHERE User = '';"
  fi
  echo "FLUSH PRIVILEGES;"
}

# ---------------------------------------------------------------------------------------------
verify() {
  local ok=1 v
  log "cache: $CACHE"
  if v=$(/usr/sbin/mariadbd --version 2>/dev/null); then
    log "MariaDB: $v"
    [[ $v == *"10.11"* ]] || { log "MariaDB is not 10.11"; ok=0; }
  else
    log "MariaDB: /usr/sbin/mariadbd missing"; ok=0
  fi
  if v=$(mysql_run usr/sbin/mysqld --version 2>/dev/null); then
    log "MySQL:   $v"
    [[ $v == *" $WANT_MYSQL_SERIES."* ]] || { log "MySQL is not $WANT_MYSQL_SERIES.x"; ok=0; }
  else
    log "MySQL:   $MYSQL_ROOT/usr/sbin/mysqld does not run"; ok=0
  fi
  for f in mariadb mysql; do
    if [[ -d $TEMPLATES/$f/mysql ]]; then
      log "template $f: $TEMPLATES/$f ($(du -sh "$TEMPLATES/$f" | cut -f1))"
    else
      log "template $f: missing"; ok=0
    fi
  done
  [[ -e $TEMPLATES/mysql/auto.cnf ]] && { log "template mysql contains auto.cnf"; ok=0; }
  for w in $MYSQL_WRAPPERS; do
    [[ -x $MYSQL_DIR/bin/$w ]] || { log "wrapper $MYSQL_DIR/bin/$w missing"; ok=0; }
  done
  ((ok))
}

# Second run: verify only.
if [[ -e $MARKER && ${M2S_FORCE:-0} != 1 ]]; then
  if verify; then
    log "already provisioned ($(tr '\n' ' ' <"$MARKER")) — verified in $(($(now_ms) - T0)) ms"
    exit 0
  fi
  log "marker $MARKER present but verification failed: provisioning again"
fi

[[ $(id -u) == 0 ]] || die "must run as root (it installs packages and writes $CACHE); try: sudo $0"
mkdir -p "$CACHE"
# Serialise concurrent runs (e.g. several test processes starting at once).
exec 9>"$CACHE/.provision.lock"
flock 9
if [[ -e $MARKER && ${M2S_FORCE:-0} != 1 ]] && verify 2>/dev/null; then
  log "provisioned by a concurrent run"; exit 0
fi
rm -f "$MARKER"

# ---------------------------------------------------------------------------------------------
# 1. MariaDB 10.11 from the host's packages.
export DEBIAN_FRONTEND=noninteractive
APT_LOCK=(-o DPkg::Lock::Timeout=600)
pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

need=()
for p in mariadb-server mariadb-client; do pkg_installed "$p" || need+=("$p"); done
source /etc/os-release
if [[ ${ID:-} != debian && ! -e /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
  pkg_installed debian-archive-keyring || need+=(debian-archive-keyring)
fi
if ((${#need[@]})); then
  log "installing ${need[*]} with apt-get (waits for the dpkg lock if apt is already running)"
  # Refresh the package lists only when they do not know the packages yet.
  for p in "${need[@]}"; do
    if [[ $(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }') =~ ^(|\(none\))$ ]]; then
      apt-get "${APT_LOCK[@]}" update -q >/dev/null || die "apt-get update failed"
      break
    fi
  done
  apt-get "${APT_LOCK[@]}" install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || die "apt-get install ${need[*]} failed"
else
  log "MariaDB packages already installed"
fi
v=$(/usr/sbin/mariadbd --version) || die "/usr/sbin/mariadbd does not run"
[[ $v == *"10.11"* ]] || die "installed MariaDB is not 10.11: $v"

# ---------------------------------------------------------------------------------------------
# 2. MySQL 9.7 from Debian sid, unpacked without touching the host's dpkg database.
derive_mirror() {
  if [[ -n ${M2S_DEBIAN_MIRROR:-} ]]; then echo "$M2S_DEBIAN_MIRROR"; return; fi
  if [[ ${ID:-} == debian ]]; then
    local codename=${VERSION_CODENAME:-bookworm} uri
    # deb822 sources: the URIs of a stanza whose Suites include the host's codename.
    uri=$(awk -v c="$codename" '
      /^[[:space:]]*$/ { if (u != "" && s) { print u; exit } u = ""; s = 0; next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == c) s = 1 }
      END { if (u != "" && s) print u }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    if [[ -z $uri && -r /etc/apt/sources.list ]]; then
      # One-line format: deb [opts] URI SUITE COMPONENTS...
      uri=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list \
        | awk -v c="$codename" '$1 == "deb" && $3 == c { print $2; exit }')
    fi
    if [[ -z $uri ]]; then
      # One-line format in sources.list.d.
      uri=$(cat /etc/apt/sources.list.d/*.list 2>/dev/null | sed -E 's/\[[^]]*\]//' \
        | awk -v c="$codename" '$1 == "deb" && $3 == c { print $2; exit }')
    fi
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  fi
  # No Debian mirror in this machine's apt configuration: no host is guessed.
  return 1
}

provision_mysql() {
  local apt_dir="$MYSQL_DIR/apt" mirror suite_line keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r $keyring ]] || die "Debian archive keyring $keyring missing (install debian-archive-keyring)"
  if [[ -n ${M2S_MYSQL_SNAPSHOT:-} ]]; then
    mirror="http://snapshot.debian.org/archive/debian/$M2S_MYSQL_SNAPSHOT"
  else
    mirror=$(derive_mirror) || die "no Debian mirror found in this machine's apt sources \
(/etc/apt/sources.list.d/*.sources, *.list, /etc/apt/sources.list) to fetch MySQL 9.7 from sid: \
set M2S_DEBIAN_MIRROR to a Debian mirror URL"
  fi
  suite_line="deb [signed-by=$keyring] $mirror sid main"
  mkdir -p "$apt_dir"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,etc/trusted.gpg.d} \
    "$apt_dir"/state/lists/partial "$apt_dir"/cache/archives/partial "$apt_dir"/log
  echo "$suite_line" >"$apt_dir/etc/sources.list"
  : >"$apt_dir/state/status" # empty dpkg status: resolve the full dependency closure
  # Network settings (proxies, validity checks) are taken from the host's configuration; hooks,
  # index targets and directories are not.
  {
    apt-config dump 2>/dev/null | grep -E '^Acquire::' | grep -v '^Acquire::IndexTargets' || true
    cat <<EOF
Dir::Etc::Parts "$apt_dir/etc/apt.conf.d";
Dir::Etc::Main "$apt_dir/etc/apt.conf";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/sources.list.d";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d";
Dir::State "$apt_dir/state";
Dir::State::Lists "$apt_dir/state/lists";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache";
Dir::Cache::Archives "$apt_dir/cache/archives";
Dir::Log "$apt_dir/log";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
    # snapshot.debian.org serves old Release files whose Valid-Until has passed.
    [[ -z ${M2S_MYSQL_SNAPSHOT:-} ]] || echo 'Acquire::Check-Valid-Until "false";'
  } >"$apt_dir/apt.conf"
  touch "$apt_dir/etc/apt.conf"
  local -a papt=(env APT_CONFIG="$apt_dir/apt.conf")
  log "downloading MySQL $WANT_MYSQL_SERIES packages from: $suite_line"
  if ! "${papt[@]}" apt-get -q --error-on=any update >"$apt_dir/update.log" 2>&1 \
    || grep -qE '^(Err:|E: |W: Failed)' "$apt_dir/update.log"; then
    tail -n 20 "$apt_dir/update.log" >&2
    die "downloading the package lists of $mirror sid failed (log: $apt_dir/update.log)"
  fi
  local cand
  cand=$("${papt[@]}" apt-cache policy mysql-server-core 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $cand && $cand != "(none)" ]] || die "package mysql-server-core not found in $mirror sid"
  if [[ $cand != "$WANT_MYSQL_SERIES".* ]]; then
    die "Debian sid now has mysql-server-core $cand, not $WANT_MYSQL_SERIES.x; rerun with M2S_MYSQL_SNAPSHOT=<timestamp> (a snapshot.debian.org time when sid had $WANT_MYSQL_SERIES, e.g. 20260501T000000Z)"
  fi
  rm -f "$apt_dir"/cache/archives/*.deb
  "${papt[@]}" apt-get -q -y install --download-only \
    "mysql-server-core=$cand" "mysql-client-core=$cand" >"$apt_dir/download.log" 2>&1 \
    || { tail -n 20 "$apt_dir/download.log" >&2; die "downloading mysql-server-core/mysql-client-core $cand and dependencies failed (log: $apt_dir/download.log)"; }
  local debs=("$apt_dir"/cache/archives/*.deb)
  [[ -e ${debs[0]} ]] || die "apt-get downloaded no packages (log: $apt_dir/download.log)"
  log "downloaded ${#debs[@]} packages ($(du -ch "${debs[@]}" | tail -n1 | cut -f1)); unpacking"
  rm -rf "$MYSQL_ROOT.tmp" "$MYSQL_ROOT"
  mkdir -p "$MYSQL_ROOT.tmp"
  local d
  for d in "${debs[@]}"; do
    dpkg-deb -x "$d" "$MYSQL_ROOT.tmp" || die "dpkg-deb -x $d failed"
  done
  mv "$MYSQL_ROOT.tmp" "$MYSQL_ROOT"
  rm -f "$apt_dir"/cache/archives/*.deb # the unpacked root is what is kept
}

mysql_ok() { mysql_run usr/sbin/mysqld --version 2>/dev/null | grep -q " $WANT_MYSQL_SERIES\."; }
if [[ ${M2S_FORCE:-0} == 1 ]] || ! mysql_ok; then
  provision_mysql
else
  log "MySQL root already unpacked at $MYSQL_ROOT"
fi
[[ -x $MYSQL_LOADER ]] || die "the unpacked root has no dynamic loader $MYSQL_LOADER (libc6 missing from the download?)"
v=$(mysql_run usr/sbin/mysqld --version 2>&1) || die "unpacked mysqld does not run: $v"
[[ $v == *" $WANT_MYSQL_SERIES."* ]] || die "unpacked mysqld is not $WANT_MYSQL_SERIES.x: $v"
log "MySQL: $v"

# Wrappers so that people and scripts can run the unpacked binaries directly.
mkdir -p "$MYSQL_DIR/bin"
for b in mysqld:usr/sbin/mysqld mysql:usr/bin/mysql mysqladmin:usr/bin/mysqladmin \
  mysqlbinlog:usr/bin/mysqlbinlog mysqldump:usr/bin/mysqldump; do

  name=${b%%:*} path=${b#*:}
  [[ -x $MYSQL_ROOT/$path ]] || die "$MYSQL_ROOT/$path missing from the unpacked packages"
  cat >"$MYSQL_DIR/bin/$name" <<EOF
#!/bin/sh
# Runs MySQL $WANT_MYSQL_SERIES's $name from the private root through that root's own loader.
exec "$MYSQL_LOADER" --library-path "$MYSQL_LIBDIR" "$MYSQL_ROOT/$path" "\$@"
EOF
  chmod 755 "$MYSQL_DIR/bin/$name"
done

# ---------------------------------------------------------------------------------------------
# 3. Data-directory templates with the test users.
mkdir -p "$TEMPLATES"
build_template() { # FLAVOR
  local flavor=$1 work="$TEMPLATES/$1.tmp" pid
  rm -rf "$work"
  mkdir -p "$work"/{tmp,files}
  local data="$work/data" sock="$work/s.sock" errlog="$work/error.log"
  local t=$(now_ms)
  local -a server client
  if [[ $flavor == mariadb ]]; then
    mariadb-install-db --no-defaults --datadir="$data" --user=root \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$work/init.log" 2>&1 || { tail -n 20 "$work/init.log" >&2; die "mariadb-install-db failed"; }
    server=(/usr/sbin/mariadbd --no-defaults --user=root --datadir="$data" --tmpdir="$work/tmp"
      --socket="$sock" --pid-file="$work/s.pid" --log-error="$errlog" --skip-networking
      --innodb-buffer-pool-size=64M)
    client=(/usr/bin/mariadb --no-defaults -uroot --socket="$sock")
  else
    local -a base=(--no-defaults --user=root --basedir="$MYSQL_ROOT/usr"
      --plugin-dir="$MYSQL_ROOT/usr/lib/mysql/plugin" --lc-messages-dir="$MYSQL_ROOT/usr/share/mysql"
      --character-sets-dir="$MYSQL_ROOT/usr/share/mysql/charsets" --secure-file-priv="$work/files"
      --mysqlx=OFF --datadir="$data" --tmpdir="$work/tmp" --log-error="$errlog")
    mysql_run usr/sbin/mysqld "${base[@]}" --initialize-insecure >"$work/init.log" 2>&1 \
      || { tail -n 20 "$errlog" >&2; die "mysqld --initialize-insecure failed (log: $errlog)"; }
    server=("$MYSQL_LOADER" --library-path "$MYSQL_LIBDIR" "$MYSQL_ROOT/usr/sbin/mysqld" "${base[@]}"
      --socket="$sock" --pid-file="$work/s.pid" --skip-networking --skip-log-bin
      --innodb-buffer-pool-size=64M)
    client=("$MYSQL_DIR/bin/mysql" --no-defaults -uroot --socket="$sock")
  fi
  "${server[@]}" </dev/null >>"$work/stdout.log" 2>&1 &
  pid=$!
  wait_ready client "$pid" "$errlog"
  users_sql "$flavor" | "${client[@]}" || { stop_pid "$pid"; die "creating users in the $flavor template failed"; }
  stop_pid "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$data/auto.cnf" "$work/s.pid" "$sock" "$sock.lock"
  rm -rf "$TEMPLATES/$flavor"
  mv "$data" "$TEMPLATES/$flavor"
  mv "$errlog" "$TEMPLATES/$flavor.init-error.log" 2>/dev/null || true
  rm -rf "$work"
  log "template $flavor ready in $(($(now_ms) - t)) ms: $TEMPLATES/$flavor"
}
build_template mariadb
build_template mysql

mariadb_v=$(/usr/sbin/mariadbd --version | sed -E 's/.*Ver ([^ ]+).*/\1/')
mysql_v=$(mysql_run usr/sbin/mysqld --version | sed -E 's/.*Ver ([^ ]+).*/\1/')
printf 'mariadb=%s\nmysql=%s\nprovisioned_at=%s\n' "$mariadb_v" "$mysql_v" "$(date -u +%FT%TZ)" >"$MARKER.tmp"
mv "$MARKER.tmp" "$MARKER"
verify || die "verification after provisioning failed"
log "done in $(($(now_ms) - T0)) ms"
