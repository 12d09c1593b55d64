#!/usr/bin/env bash
# What an operator does with the packages `npm run package` wrote, checked as root (CI runs this):
#   - no package holds a test, fixture, source or source map; the .rpm holds the .deb's files, with its metadata;
#   - `apt-get install ./salt-apid_*.deb`, the installed `salt-apid --version`, its man page and unit;
#   - the installed salt-apid serves a master config in a temporary /etc/salt-like folder, against the
#     standalone demo master: login, then `local test.ping` through it;
#   - `apt-get purge salt-apid` leaves none of its files behind.
# Usage: bash pkg/smoke-test.sh (after npm ci and npm run package, from the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'smoke-test: %s\n' "$*"; }
fail() {
  printf 'smoke-test: FAILED: %s\n' "$*" >&2
  exit 1
}

version=$(node -p "require('./package.json').version")
deb="dist/pkg/salt-apid_${version}-1_amd64.deb"
rpm="dist/pkg/salt-apid-${version}-1.x86_64.rpm"
tarball="dist/pkg/salt-apid-${version}-linux-x64.tar.gz"
for file in "$deb" "$rpm" "$tarball"; do [ -f "$file" ] || fail "$file is missing (run npm run package)"; done
[ "$(id -u)" = 0 ] || fail "must run as root (it installs the .deb)"

# --- What the packages hold --------------------------------------------------------------------------
deb_files() { dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort; }
rpm_files() { rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" | awk '$1 !~ /^d/ {print $2}' | sort; }
tar_files() { tar -tzf "$tarball" | grep -v '/$' | sort; }
not_running='\.map$|/(test|tests|__tests__|fixtures?|spec)/|/(src|script|obj\.target)/|\.(ts|mts|cts)$|\.(cc|cpp|c|h|gyp)$'
for lister in deb_files rpm_files tar_files; do
  count=$($lister | wc -l)
  [ "$count" -gt 100 ] || fail "$lister lists only $count files"
  if $lister | grep -E "$not_running"; then fail "$lister: the files above do not run and must not ship"; fi
done
diff <(deb_files) <(rpm_files) || fail "the .rpm does not hold the same files as the .deb"
# (Not `tee /dev/stderr`: opening it truncates a log file that stderr is redirected to.)
metadata=$(rpm -qip "$rpm")
echo "$metadata"
grep -q "^Version *: ${version}$" <<<"$metadata" || fail "rpm -qip: wrong version"
rpm -qp --requires "$rpm" | grep -q '^pam' || fail "the .rpm does not require pam"
say "deb, rpm and tarball: $(deb_files | wc -l) files each, no test, fixture, source or map"

# A salt-apid left installed on this machine (by hand, or a run that was cut short) is purged first: every
# check below is of a fresh install.
if dpkg -s salt-apid >/dev/null 2>&1; then
  say "purging the salt-apid already installed here first"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y salt-apid >/dev/null
fi

# --- Beside an enabled salt-api: installed, not enabled, and told how to switch --------------------------
wants=/etc/systemd/system/multi-user.target.wants
if [ ! -e "$wants/salt-api.service" ] && [ ! -L "$wants/salt-api.service" ]; then
  mkdir -p "$wants"
  ln -s /usr/lib/systemd/system/salt-api.service "$wants/salt-api.service"
  said=$(DEBIAN_FRONTEND=noninteractive apt-get install -y "./$deb" 2>&1)
  rm "$wants/salt-api.service"
  grep -q 'systemctl disable --now salt-api && systemctl enable --now salt-apid' <<<"$said" ||
    fail "installed beside an enabled salt-api without saying how to switch: $said"
  [ ! -L "$wants/salt-apid.service" ] || fail "salt-apid was enabled beside an enabled salt-api"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y salt-apid >/dev/null
  say "beside an enabled salt-api: installed, not enabled, the switch printed"
fi

# --- Install -----------------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y "./$deb" >/dev/null
dpkg -s salt-apid | grep -q "^Version: ${version}-1$" || fail "dpkg -s: salt-apid ${version}-1 is not installed"
[ "$(command -v salt-apid)" = /usr/bin/salt-apid ] || fail "salt-apid is not /usr/bin/salt-apid"
printed=$(salt-apid --version)
[ "$printed" = "salt-apid ${version}" ] || fail "salt-apid --version printed: $printed"
[ -L "$wants/salt-apid.service" ] || fail "a fresh install with no salt-api did not enable salt-apid"
salt-apid --help | grep -q -- '--config-dir' || fail "salt-apid --help does not document --config-dir"
zcat /usr/share/man/man1/salt-apid.1.gz | grep -q '^\.TH SALT-APID 1' || fail "no man page"
[ "$(/opt/salt-apid/bin/node --version | cut -d. -f1)" = v24 ] || fail "the carried runtime is not Node.js 24"
unit=/usr/lib/systemd/system/salt-apid.service
grep -q '^ExecStart=/usr/bin/salt-apid$' "$unit" || fail "the unit does not start /usr/bin/salt-apid"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --man=no "$unit" || fail "systemd-analyze verify $unit"
  say "systemd-analyze verify: the unit is valid"
else
  say "NOT CHECKED: systemd-analyze verify (no systemd-analyze on this machine)"
fi
say "installed: $printed, Node.js $(/opt/salt-apid/bin/node --version), $(du -sh /opt/salt-apid | cut -f1) in /opt/salt-apid"

# --- Serve a master config, against the standalone demo master ---------------------------------------
work=$(mktemp -d)
demo_pid=''
api_pid=''
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
  [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$work/etc/salt" "$work/var/log/salt"
node dist/demo/standalone.js --sock-dir "$work/sock" --write-config "$work/etc/salt/master" --api-port "$port" \
  >"$work/demo.out" &
demo_pid=$!
for _ in $(seq 1 100); do grep -q retPort "$work/demo.out" 2>/dev/null && break; sleep 0.1; done
grep -q retPort "$work/demo.out" || fail "the standalone demo master did not start"
# Where salt-api would log: root_dir puts /var/log/salt/api under the temporary folder.
printf 'root_dir: %s\nuser: root\nlog_level_logfile: info\n' "$work" >>"$work/etc/salt/master"

started=$(date +%s%N)
salt-apid -c "$work/etc/salt" >"$work/api.out" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
curl -sf "http://127.0.0.1:$port/" >/dev/null || {
  cat "$work/api.out" >&2
  fail "the installed salt-apid did not answer"
}
say "first answer $(((($(date +%s%N) - started) / 1000000))) ms after the start"
token=$(curl -sf "http://127.0.0.1:$port/login" -H 'Accept: application/json' \
  -d username=saltdev -d password=saltdev -d eauth=pam | sed -E 's/.*"token": "([0-9a-f]+)".*/\1/')
[ -n "$token" ] || fail "login through the installed salt-apid failed"
answer=$(curl -sf "http://127.0.0.1:$port/" -H "X-Auth-Token: $token" -H 'Accept: application/json' \
  -d client=local -d tgt='*' -d fun=test.ping)
echo "$answer" | grep -q '"minion-1": true' || fail "test.ping through the installed salt-apid: $answer"
say "login and local test.ping through the installed salt-apid: $answer"
tr '\0' '\n' <"/proc/$api_pid/environ" | grep -qx 'MALLOC_ARENA_MAX=2' ||
  fail "the installed salt-apid does not run with MALLOC_ARENA_MAX=2 (the launcher sets it)"
tr '\0' '\n' <"/proc/$api_pid/cmdline" | grep -qx -- '--max-semi-space-size=16' ||
  fail "the installed salt-apid does not run with --max-semi-space-size=16 (the launcher passes it)"
[ -s "$work/var/log/salt/api" ] || fail "nothing was written to api_logfile ($work/var/log/salt/api)"
say "api_logfile: $(wc -l <"$work/var/log/salt/api") lines in <root_dir>/var/log/salt/api"
kill -TERM "$api_pid"
wait "$api_pid" || fail "salt-apid did not stop cleanly on SIGTERM"
api_pid=''

# --- Purge -------------------------------------------------------------------------------------------
shipped=$(deb_files)
DEBIAN_FRONTEND=noninteractive apt-get purge -y salt-apid >/dev/null
if dpkg -s salt-apid >/dev/null 2>&1; then fail "salt-apid is still known to dpkg after purge"; fi
left=$(for file in $shipped; do [ -e "$file" ] || [ -L "$file" ] && echo "$file"; done || true)
[ -z "$left" ] || fail "left after purge: $left"
for path in /opt/salt-apid /usr/share/doc/salt-apid /etc/systemd/system/salt-apid.service \
  /etc/systemd/system/multi-user.target.wants/salt-apid.service; do
  if [ -e "$path" ] || [ -L "$path" ]; then fail "left after purge: $path"; fi
done
if command -v debconf-show >/dev/null && [ -n "$(debconf-show salt-apid 2>/dev/null)" ]; then
  fail "debconf still holds salt-apid's answers after purge"
fi
say "purged: nothing of salt-apid is left"

# --- The npm package: npm pack, installed globally into a temporary prefix ---------------------------
npm pack --silent --pack-destination "$work" >/dev/null
tgz="$work/salt-apid-${version}.tgz"
packed=$(tar -tzf "$tgz")
if echo "$packed" | grep -E "$not_running"; then fail "npm pack: the files above do not run and must not ship"; fi
echo "$packed" | grep -q '^package/dist/bundle/salt-apid.mjs$' || fail "npm pack: no dist/bundle/salt-apid.mjs"
npm install --global --prefix "$work/prefix" --no-audit --no-fund --allow-scripts=zeromq,authenticate-pam "$tgz" \
  >/dev/null
printed=$("$work/prefix/bin/salt-apid" --version)
[ "$printed" = "salt-apid ${version}" ] || fail "npm-installed salt-apid --version printed: $printed"
(cd "$work/prefix/lib/node_modules/salt-apid" && node -e "require('authenticate-pam')") ||
  fail "npm install -g did not build authenticate-pam"
"$work/prefix/bin/salt-apid" -c "$work/etc/salt" >"$work/api.out" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
token=$(curl -sf "http://127.0.0.1:$port/login" -H 'Accept: application/json' \
  -d username=saltdev -d password=saltdev -d eauth=pam | sed -E 's/.*"token": "([0-9a-f]+)".*/\1/')
answer=$(curl -sf "http://127.0.0.1:$port/" -H "X-Auth-Token: $token" -H 'Accept: application/json' \
  -d client=local -d tgt='*' -d fun=test.ping)
echo "$answer" | grep -q '"minion-1": true' || fail "test.ping through the npm-installed salt-apid: $answer"
kill -TERM "$api_pid"
wait "$api_pid" || fail "the npm-installed salt-apid did not stop cleanly on SIGTERM"
api_pid=''
demo_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
"$work/prefix/bin/salt-apid" --demo --port "$demo_port" >"$work/demo-api.out" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$demo_port/" >/dev/null 2>&1 && break; sleep 0.05; done
curl -sf "http://127.0.0.1:$demo_port/login" -d username=saltdev -d password=saltdev -d eauth=pam | grep -q token ||
  fail "npm-installed salt-apid --demo: no login"
say "npm pack ($(echo "$packed" | wc -l) files) installed with npm install -g: --version, a master config and --demo work"
say "passed"
