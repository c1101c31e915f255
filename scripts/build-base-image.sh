#!/usr/bin/env bash
# Builds the local base images for air-gapped sites (no image registry) from this host's binaries:
# fedsynth/node-base:20-local (node + its shared libraries + CA certs + a minimal shell) and
# fedsynth/postgres-base:15-local (the same plus PostgreSQL 15 from the host's Debian packages).
#
# Usage: scripts/build-base-image.sh [--force] [--no-postgres]
# Each image is built from a root filesystem tarball assembled here and loaded with `docker import`;
# nothing is downloaded. The host must be glibc-based (Debian bookworm, like node:20-bookworm-slim).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_TAG="${FEDSYNTH_NODE_BASE:-fedsynth/node-base:20-local}"
PG_TAG="${FEDSYNTH_PG_BASE:-fedsynth/postgres-base:15-local}"
PG_VERSION="${FEDSYNTH_PG_VERSION:-15}"
FORCE=0
WITH_PG=1
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --no-postgres) WITH_PG=0 ;;
    *) echo "usage: $0 [--force] [--no-postgres]" >&2; exit 2 ;;
  esac
done

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

NODE_BIN="$(readlink -f "$(command -v node)")"
if ! "$NODE_BIN" -e 'process.exit(Number(process.versions.node.split(".")[0]) === 20 ? 0 : 1)'; then
  echo "build-base-image: expected Node 20 on this host, found $("$NODE_BIN" -v)" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fedsynth-rootfs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Copies a file (following symlinks) to the same path under the root filesystem $1.
put() {
  local root="$1" src="$2" dst="${3:-$2}"
  mkdir -p "$root$(dirname "$dst")"
  cp -L "$src" "$root$dst"
}

# Copies an executable or shared object and every library ldd says it loads.
put_elf() {
  local root="$1" f="$2" dst="${3:-$2}" lib
  put "$root" "$f" "$dst"
  while read -r lib; do
    if [ -n "$lib" ] && [ ! -e "$root$lib" ]; then put "$root" "$lib"; fi
  done < <(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}')
}

make_common_rootfs() {
  local root="$1" b
  mkdir -p "$root"/{bin,etc,tmp,usr/local/bin,var/tmp,home/fedsynth,state}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  put_elf "$root" "$NODE_BIN" /usr/local/bin/node
  # A small shell and core tools so init and entrypoint scripts and `docker exec` work.
  put_elf "$root" "$(readlink -f "$(command -v dash)")" /bin/sh
  for b in cat chmod chown cp dirname env head id ls mkdir mv rm sleep tail wc; do
    put_elf "$root" "$(readlink -f "$(command -v "$b")")" "/bin/$b"
  done
  # Native addons of the installed node_modules (better-sqlite3, DuckDB) may need more libraries.
  if [ -d node_modules ]; then
    while read -r addon; do
      while read -r lib; do
        if [ -n "$lib" ] && [ ! -e "$root$lib" ]; then put "$root" "$lib"; fi
      done < <(ldd "$addon" 2>/dev/null | awk '/=> \//{print $3}')
    done < <(find node_modules -name '*.node' -type f 2>/dev/null)
  fi
  put "$root" /etc/ssl/certs/ca-certificates.crt
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/usr/sbin/nologin
fedsynth:x:10001:10001:fedsynth:/home/fedsynth:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
postgres:x:999:
fedsynth:x:10001:
nogroup:x:65534:
EOF
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown 10001:10001 "$root/home/fedsynth" "$root/state"
}

import_rootfs() {
  local root="$1" tag="$2"
  shift 2
  tar -C "$root" --numeric-owner -cf "$WORK/rootfs.tar" .
  docker import "$@" "$WORK/rootfs.tar" "$tag" >/dev/null
  rm -f "$WORK/rootfs.tar"
  echo "built $tag ($(docker image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}'))" >&2
}

if [ "$FORCE" = 1 ] || ! have_image "$NODE_TAG"; then
  make_common_rootfs "$WORK/node"
  import_rootfs "$WORK/node" "$NODE_TAG" \
    -c 'ENV PATH=/usr/local/bin:/bin' -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    -c 'ENV NODE_EXTRA_CA_CERTS=' -c 'WORKDIR /' -c 'CMD ["node"]'
else
  echo "$NODE_TAG exists (use --force to rebuild)" >&2
fi

if [ "$WITH_PG" = 1 ]; then
  if [ "$FORCE" = 1 ] || ! have_image "$PG_TAG"; then
    PGBIN="/usr/lib/postgresql/$PG_VERSION/bin"
    if [ ! -x "$PGBIN/postgres" ]; then
      echo "build-base-image: PostgreSQL $PG_VERSION is not installed (apt-get install postgresql-$PG_VERSION); skipping $PG_TAG" >&2
      exit 0
    fi
    root="$WORK/pg"
    make_common_rootfs "$root"
    for b in postgres initdb pg_ctl psql pg_isready; do put_elf "$root" "$PGBIN/$b"; done
    # Server modules (plpgsql, snowball dictionaries, ...) without the LLVM JIT and its bitcode.
    for so in "/usr/lib/postgresql/$PG_VERSION/lib/"*.so; do
      case "$(basename "$so")" in llvmjit*) continue ;; esac
      put_elf "$root" "$so"
    done
    mkdir -p "$root/usr/share/postgresql"
    cp -a "/usr/share/postgresql/$PG_VERSION" "$root/usr/share/postgresql/"
    for z in UTC Etc/UTC; do
      if [ -e "/usr/share/zoneinfo/$z" ]; then put "$root" "/usr/share/zoneinfo/$z"; fi
    done
    mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
    chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
    import_rootfs "$root" "$PG_TAG" \
      -c "ENV PATH=$PGBIN:/usr/local/bin:/bin" -c 'ENV TZ=UTC' -c 'ENV PGTZ=UTC' -c 'USER postgres'
  else
    echo "$PG_TAG exists (use --force to rebuild)" >&2
  fi
fi
