#!/usr/bin/env bash
# Builds the function runner's Python image locally, without any registry:
#   1. base `sinas-python-base:bookworm`: `debootstrap --variant=minbase --include=python3 bookworm`
#      from the Debian mirror apt is configured with, imported with `docker import` (a user `sinas`,
#      uid 10001, is added to the rootfs). Skipped when the daemon has it; the rootfs tarball is cached
#      under ${SINAS_IMAGE_CACHE:-$HOME/.cache/sinas}, so a fresh daemon only re-imports it.
#   2. `sinas-python:<hash of infra/python/*>`: the harness on top (infra/python/Dockerfile, which only
#      COPYs, so the build runs no container and needs no network).
# Prints the final image name on stdout. Needs root (debootstrap) and a reachable Docker daemon
# (DOCKER_HOST is honoured). Usage: infra/build-python-image.sh [--print-name]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ctx="$here/python"
hash=$(cd "$ctx" && LC_ALL=C ls -1 | LC_ALL=C sort | while read -r f; do [ -f "$f" ] && cat -- "$f"; done | sha256sum | cut -c1-12)
image="sinas-python:$hash"
base="sinas-python-base:bookworm"
if [ "${1:-}" = "--print-name" ]; then echo "$image"; exit 0; fi
log() { echo "[build-python-image] $*" >&2; }

# The first Debian mirror that apt is configured with for bookworm (deb822 .sources or one-line .list).
mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ && /Components:[^\n]*main/ {
            if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" && $0 ~ / bookworm / && $0 ~ / main/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}

if docker image inspect "$image" >/dev/null 2>&1; then log "$image exists"; echo "$image"; exit 0; fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  cache="${SINAS_IMAGE_CACHE:-$HOME/.cache/sinas}"
  tarball="$cache/python-base-bookworm.tar"
  mkdir -p "$cache"
  if [ ! -s "$tarball" ]; then
    root=$(mktemp -d /var/tmp/sinas-debootstrap.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    m=$(mirror)
    log "debootstrap minbase + python3 from $m (a minute or two)"
    debootstrap --variant=minbase --include=python3 bookworm "$root" "$m" >&2
    # trim what a function never needs; add the unprivileged user the harness runs as
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
      "$root"/usr/share/man "$root"/usr/share/locale "$root"/usr/share/info
    echo 'sinas:x:10001:10001:sinas function:/tmp:/usr/sbin/nologin' >>"$root/etc/passwd"
    echo 'sinas:x:10001:' >>"$root/etc/group"
    tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  else
    log "using the cached rootfs $tarball"
  fi
  docker import "$tarball" "$base" >/dev/null
  log "imported $base"
fi

docker build -q -t "$image" --label "sinas.harness=$hash" "$ctx" >/dev/null
log "built $image"
echo "$image"
