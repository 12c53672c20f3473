#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build and run flowscope in a container with podman (no Docker engine needed).
#
#   scripts/container.sh build                   build localhost/flowscope:latest
#   scripts/container.sh run PCAP [options...]   run it on one capture file
#   scripts/container.sh check                   build, run on tests/data/sample.pcap,
#                                                assert flow_end lines and a final stats line
#   scripts/container.sh base                    only create the base image
#
# build: installs podman, runc and debootstrap with apt-get if missing. Unless
# BASE is set to another image, it creates localhost/bookworm-minbase once: a
# debootstrap --variant=minbase bookworm rootfs, with the host's Debian apt
# sources (or deb.debian.org) and debian:bookworm-slim's dpkg excludes,
# imported with `podman import`. The rootfs tarball is cached in CACHE_DIR, so
# a host that lost the image re-imports it in seconds. Then:
#   podman build --isolation=chroot --network=host --build-arg BASE=... -t IMAGE .
# (--isolation=chroot: crun/runc RUN steps fail on a hybrid cgroup v1 host.)
#
# run: the directory holding PCAP is mounted read-only at /data, and flowscope
# gets --pcap /data/NAME plus the remaining options. Other paths given in the
# options are container paths: use /data/... or mount them yourself. Events go
# to stdout (redirect on the host; /data is read-only). Runs with
#   podman --runtime runc run --rm --network=host \
#          --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 ...
# (the default crun cannot set cgroups on a hybrid host, and neither runtime
# may raise RLIMIT_NOFILE without CAP_SYS_RESOURCE, hence the explicit limits.)
#
# Environment:
#   IMAGE       image tag to build/run       (default localhost/flowscope:latest)
#   BASE        base image of both stages    (default localhost/bookworm-minbase:latest;
#               any other value, e.g. debian:bookworm-slim, skips debootstrap)
#   CACHE_DIR   rootfs tarball cache         (default /var/tmp/flowscope-container)
#   MIRROR      Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   REBASE=1    rebuild the base rootfs even if cached
set -eu

SELF=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
ROOT=$(dirname "$(dirname "$SELF")")

MINBASE=localhost/bookworm-minbase:latest
IMAGE=${IMAGE:-localhost/flowscope:latest}
BASE=${BASE:-$MINBASE}
CACHE_DIR=${CACHE_DIR:-/var/tmp/flowscope-container}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
REBASE=${REBASE:-0}
SAMPLE=$ROOT/tests/data/sample.pcap

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

usage() {
    cat >&2 <<EOF
usage: $0 build
       $0 run PCAP [flowscope options...]
       $0 check
       $0 base
(see the header of $0 for details and environment variables)
EOF
    exit 2
}

log() {
    echo "container.sh: $*" >&2
}

# Install podman, runc and debootstrap if any is missing.
ensure_tools() {
    missing=""
    for t in podman runc debootstrap; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    [ -z "$missing" ] && return 0
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q $missing
}

# Write apt sources for bookworm (+ updates, security) into rootfs $1: the
# host's Debian deb822 file when it is a bookworm host, else deb.debian.org.
write_sources() {
    root=$1
    rm -f "$root/etc/apt/sources.list"
    mkdir -p "$root/etc/apt/sources.list.d"
    if [ -f /etc/apt/sources.list.d/debian.sources ] &&
       grep -q '^Suites:.*bookworm' /etc/apt/sources.list.d/debian.sources; then
        cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    else
        cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
}

# Make rootfs $1 like debian:bookworm-slim: no docs, man pages or locales,
# now or in later apt installs, and apt caches cleaned after each install.
slim_rootfs() {
    root=$1
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# as in debian:*-slim: keep images small
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/lintian" \
        "$root/usr/share/groff/"* "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin \
        "$root/var/cache/apt/archives/"*.deb "$root/var/log/"*.log
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
        -exec rm -rf {} +
}

# Create $MINBASE unless it exists: import the cached tarball, or debootstrap
# a fresh rootfs into the cache first.
ensure_base() {
    [ "$BASE" = "$MINBASE" ] || return 0
    if [ "$REBASE" != 1 ] && podman image exists "$MINBASE"; then
        return 0
    fi
    tarball=$CACHE_DIR/bookworm-minbase.tar
    if [ "$REBASE" = 1 ] || [ ! -s "$tarball" ]; then
        log "debootstrap bookworm minbase into $CACHE_DIR (about a minute)"
        $SUDO mkdir -p "$CACHE_DIR"
        root=$CACHE_DIR/rootfs
        $SUDO rm -rf "$root" "$tarball.tmp"
        $SUDO debootstrap --variant=minbase bookworm "$root" "$MIRROR" >&2
        $SUDO env MIRROR="$MIRROR" "$SELF" _prep-rootfs "$root"
        $SUDO tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
        $SUDO mv "$tarball.tmp" "$tarball"
        $SUDO rm -rf "$root"
    fi
    log "podman import $tarball as $MINBASE"
    podman import "$tarball" "$MINBASE" >/dev/null
}

do_build() {
    ensure_tools
    ensure_base
    log "podman build -t $IMAGE (BASE=$BASE)"
    podman build --isolation=chroot --network=host \
        --build-arg BASE="$BASE" -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT"
}

do_run() {
    [ $# -ge 1 ] || usage
    pcap=$1
    shift
    if [ ! -f "$pcap" ]; then
        echo "container.sh: $pcap: no such file" >&2
        exit 1
    fi
    dir=$(cd "$(dirname "$pcap")" && pwd -P)
    name=$(basename "$pcap")
    podman --runtime runc run --rm --network=host \
        --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
        -v "$dir:/data:ro" "$IMAGE" --pcap "/data/$name" "$@"
}

do_check() {
    out=$(mktemp)
    blog=$(mktemp)
    trap 'rm -f "$out" "$blog"' EXIT
    if ! do_build >"$blog" 2>&1; then
        log "build FAILED; log tail:"
        tail -n 30 "$blog" >&2
        exit 1
    fi
    log "built $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
    rc=0
    do_run "$SAMPLE" >"$out" || rc=$?
    ends=$(grep -c '"type":"flow_end"' "$out" || true)
    final=$(tail -n 1 "$out" | grep -c '"type":"stats".*"final":true' || true)
    log "exit $rc, $(wc -l <"$out") lines, $ends flow_end, final stats line: $final"
    if [ "$rc" -ne 0 ] || [ "$ends" -eq 0 ] || [ "$final" -ne 1 ]; then
        log "check FAILED; output tail:"
        tail -n 5 "$out" >&2
        exit 1
    fi
    log "check passed"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
build) [ $# -eq 0 ] || usage; do_build ;;
run) do_run "$@" ;;
check) [ $# -eq 0 ] || usage; do_check ;;
base) [ $# -eq 0 ] || usage; ensure_tools; ensure_base ;;
_prep-rootfs) [ $# -eq 1 ] || usage; write_sources "$1"; slim_rootfs "$1" ;;
*) usage ;;
esac
