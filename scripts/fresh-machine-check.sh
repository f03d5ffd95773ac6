#!/usr/bin/env bash
# Checks the README's two commands on a bare Debian 12 machine: a debootstrap chroot holding only Swift's documented
# Debian 12 dependencies (no libpq-dev, libzstd-dev, libsnappy-dev, postgresql, python3-venv, pip), the host's Swift
# toolchain bind-mounted read-only, and a fresh clone of this checkout's committed HEAD (never the working tree).
# Inside it, as root: scripts/quickstart.sh, then CI=true .ci/run (bootstrap, lint, scripts/test.sh).
#
#   sudo scripts/fresh-machine-check.sh                 both commands
#   sudo scripts/fresh-machine-check.sh quickstart      only scripts/quickstart.sh
#   sudo scripts/fresh-machine-check.sh ci              only .ci/run
#
# Environment: ROOT (default /srv/bare; created when missing, kept for the next run), SWIFT (the toolchain, default
# /opt/swift; `swift` is $SWIFT/usr/bin/swift), MIRROR (default: the host's first Debian mirror, else
# http://deb.debian.org/debian), LOCK (default /tmp/ferry-build.lock: each command holds it with flock, so the builds
# never compete with other builds on the machine), PREPARE (see below).
#
# Before each run the packages the scripts install are purged and the clone is made afresh, so every run starts from
# the bare machine. The host's network setup is carried in, as a real machine there would have it: resolv.conf, the
# extra CA certificates of /usr/local/share/ca-certificates (a TLS-inspecting egress proxy), and when the host's
# system git config sends github.com to a local directory (`url.<dir>.insteadOf https://github.com/`, a machine
# without GitHub access) that directory, read-only, with the same rule, so SwiftPM resolves the dependencies.
# Needs root (debootstrap, mount, chroot). Leaves nothing mounted.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${ROOT:-/srv/bare}"
SWIFT="${SWIFT:-/opt/swift}"
LOCK="${LOCK:-/tmp/ferry-build.lock}"
what="${1:-all}"
case "$what" in all | quickstart | ci) ;; *) echo "usage: $0 [all|quickstart|ci]" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: needs root" >&2; exit 1; }
[ -x "$SWIFT/usr/bin/swift" ] || { echo "fresh-machine-check: no Swift toolchain at $SWIFT" >&2; exit 1; }

if [ -z "${MIRROR:-}" ]; then
    MIRROR="$(grep -hoE 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 | tr -d ' ' || true)"
    MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

# Swift's documented Debian 12 dependencies (swift.org install guide), and ca-certificates.
swift_deps=(binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev libsqlite3-0
    libstdc++-12-dev libxml2-dev libz3-dev pkg-config python3-lldb-13 tzdata zlib1g-dev ca-certificates)
# What the README's commands must install themselves: present before a run, the check would prove nothing.
installed_by_scripts=(libpq-dev libpq5 libsqlite3-dev libzstd-dev libsnappy-dev time postgresql postgresql-common
    'postgresql-[0-9]*' 'postgresql-client*' python3-venv 'python3.*-venv' python3-pip python3-pip-whl
    python3-setuptools-whl)

in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 "$@"; }

mounted() { mountpoint -q "$ROOT$1"; }
mount_all() {
    mkdir -p "$ROOT$SWIFT" "$ROOT/dev/pts" "$ROOT/dev/shm"
    # Fresh proc and sysfs, plain (not recursive) binds made private: unmounting them later can never reach the
    # host's own mounts through mount propagation.
    mounted /proc || mount -t proc proc "$ROOT/proc"
    mounted /sys || mount -t sysfs sysfs "$ROOT/sys"
    mounted /dev || { mount --bind /dev "$ROOT/dev" && mount --make-private "$ROOT/dev"; }
    mounted /dev/pts || { mount --bind /dev/pts "$ROOT/dev/pts" && mount --make-private "$ROOT/dev/pts"; }
    # A RAM disk of its own: the test kit puts PostgreSQL's scratch clusters there.
    mounted /dev/shm || mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
    if ! mounted "$SWIFT"; then
        mount --bind "$SWIFT" "$ROOT$SWIFT"
        mount --make-private "$ROOT$SWIFT"
        mount -o remount,bind,ro "$ROOT$SWIFT"
    fi
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    : >"$ROOT/etc/gitconfig"
    local key dir
    while read -r key dir; do
        [ -n "$dir" ] || continue
        dir="${key#url.}"; dir="${dir%.insteadof}"
        case "$dir" in /*) ;; *) continue ;; esac
        if ! mounted "${dir%/}"; then
            mkdir -p "$ROOT$dir"
            mount --bind "$dir" "$ROOT$dir"
            mount --make-private "$ROOT$dir"
            mount -o remount,bind,ro "$ROOT$dir"
        fi
        git config --system --get-all "$key" | while read -r from; do
            git config -f "$ROOT/etc/gitconfig" --add "$key" "$from"
        done
    done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null | awk '!seen[$1]++')
}
# Every mount under the chroot, deepest first; the chroot itself stays for the next run.
unmount_all() {
    awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
}
trap unmount_all EXIT

# 1. The bare machine, made once.
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
    echo "== debootstrap bookworm into $ROOT from $MIRROR"
    debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR"
    security="${MIRROR%/debian*}/debian-security"
    cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $security bookworm-security main
EOF
    mount_all
    in_root PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${swift_deps[*]} >/dev/null"
fi
mount_all
printf 'export PATH="%s/usr/bin:$PATH"\n' "$SWIFT" >"$ROOT/etc/profile.d/swift.sh"
# The host's own trust anchors (a TLS-inspecting egress proxy's CA, say), so HTTPS to PyPI works as on the host.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    in_root PATH=/usr/sbin:/usr/bin:/sbin:/bin update-ca-certificates >/dev/null 2>&1
fi

# 2. Back to bare: purge what an earlier run's scripts installed, then check none of it is left.
in_root PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -c '
    pkgs=$(dpkg-query -W -f "\${db:Status-Abbrev} \${Package}\n" '"$(printf "'%s' " "${installed_by_scripts[@]}")"' \
        2>/dev/null | awk "substr(\$1, 2, 1) != \"n\" {print \$2}")
    if [ -n "$pkgs" ]; then
        echo "== purging what an earlier run installed: $(echo $pkgs)"
        apt-get purge -y -qq $pkgs >/dev/null && apt-get autoremove --purge -y -qq >/dev/null
    fi
    rm -rf /var/lib/postgresql /etc/postgresql
    left=$(dpkg-query -W -f "\${db:Status-Abbrev} \${Package}\n" 2>/dev/null | awk "\$1 ~ /^ii/ {print \$2}" \
        | grep -E "^(libpq-dev|libzstd-dev|libsnappy-dev|postgresql|python3.*-venv|python3-pip)" || true)
    if [ -n "$left" ]; then echo "fresh-machine-check: still installed: $left" >&2; exit 1; fi'
in_root /opt/swift/usr/bin/swift --version 2>&1 | head -n1

# 3. A snapshot of HEAD (committed work only) and a fresh clone of it, as CI makes.
rm -rf "$ROOT/work/main-snapshot" "$ROOT/root/ferry"
mkdir -p "$ROOT/work"
git clone -q --bare "$repo" "$ROOT/work/main-snapshot"
echo "== snapshot of HEAD: $(git -C "$ROOT/work/main-snapshot" log -1 --format='%h %s' | cut -c1-110)"
in_root PATH=/usr/bin:/bin git clone -q /work/main-snapshot /root/ferry
# PREPARE: a shell command run in the clone before the commands, to get past a known breakage of HEAD and check the
# rest (the report must say so): e.g. PREPARE="sed -i '/name: \"FerryStateTests\"/d' Package.swift".
if [ -n "${PREPARE:-}" ]; then
    echo "== PREPARE (not what HEAD has): $PREPARE"
    in_root PATH=/usr/bin:/bin sh -c "cd /root/ferry && $PREPARE"
fi

# 4. The README's commands, as root in a login shell, each holding the build lock.
run() {
    local name="$1" cmd="$2" start status
    echo "== $name: $cmd"
    start=$(date +%s)
    set +e
    flock -o "$LOCK" bash -c 'echo "== $0: build lock held after $(($(date +%s) - $1)) s"; shift 2; exec "$@"' \
        "$name" "$start" -- chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 CI=true \
        /bin/bash -lc "cd /root/ferry && $cmd"
    status=$?
    set -e
    echo "== $name: exit $status after $(($(date +%s) - start)) s (lock wait included)"
    return "$status"
}
failed=0
if [ "$what" != ci ]; then run quickstart "scripts/quickstart.sh" || failed=1; fi
if [ "$what" != quickstart ]; then run ci "bash .ci/run" || failed=1; fi
[ "$failed" -eq 0 ] && echo "== fresh-machine-check: ok" || echo "== fresh-machine-check: FAILED" >&2
exit "$failed"
