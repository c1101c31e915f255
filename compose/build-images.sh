#!/usr/bin/env bash
# Builds the fedsynth service images (coordinator, agent, custodian) and the PostgreSQL silo image,
# tagged by a hash of their content so a re-run with unchanged inputs builds nothing.
#
# Usage: compose/build-images.sh [--local | --registry]
#   --local     (default) air-gapped: FROM the local base images of scripts/build-base-image.sh
#   --registry  FROM node:20-bookworm-slim and postgres:15-bookworm (pulled from a registry)
# Needs `npm ci && npm run build` done first. Prints shell assignments of the tags on stdout
# (FEDSYNTH_TAG=..., FEDSYNTH_PG_TAG=...) and tags the same images `:local` for docker-compose.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=local
for a in "$@"; do
  case "$a" in
    --local) MODE=local ;;
    --registry) MODE=registry ;;
    *) echo "usage: $0 [--local | --registry]" >&2; exit 2 ;;
  esac
done
if [ ! -f dist/cli/main.js ] || [ ! -d node_modules ]; then
  echo "build-images: run 'npm ci && npm run build' first (the images copy node_modules and dist/)" >&2
  exit 1
fi
if [ "$MODE" = local ]; then
  bash scripts/build-base-image.sh >&2
  BASE_IMAGE="${FEDSYNTH_NODE_BASE:-fedsynth/node-base:20-local}"
  PG_BASE="${FEDSYNTH_PG_BASE:-fedsynth/postgres-base:15-local}"
else
  BASE_IMAGE=node:20-bookworm-slim
  PG_BASE=postgres:15-bookworm
  docker pull -q "$BASE_IMAGE" >&2
  docker pull -q "$PG_BASE" >&2
fi

hash_files() { find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12; }
base_id() { docker image inspect --format '{{.Id}}' "$1" | cut -c8-19; }

APP_HASH=$( {
  base_id "$BASE_IMAGE"
  hash_files compose/Dockerfile compose/prune-dev-deps.mjs .dockerignore package.json package-lock.json bin data/adult-domain.json
  find dist -path dist/bench -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  sha256sum node_modules/.package-lock.json 2>/dev/null || true
} | sha256sum | cut -c1-12)
PG_HASH=$( { base_id "$PG_BASE"; hash_files compose/Dockerfile.postgres compose/postgres; } | sha256sum | cut -c1-12)

# BuildKit sends only changed files and reuses stages across targets; the Docker CLI needs the buildx
# plugin for it, or a CLI older than 23 (which has it built in). Otherwise the legacy builder is used.
if docker buildx version >/dev/null 2>&1; then BUILD=(env DOCKER_BUILDKIT=1 docker build)
elif [ -x /usr/bin/docker ] && /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null | grep -qE '^(19|20)\.'; then BUILD=(env DOCKER_BUILDKIT=1 /usr/bin/docker build)
else BUILD=(env DOCKER_BUILDKIT=0 docker build)
fi

build() { # image tag dockerfile target-or-empty base-arg-name base
  local image="$1" tag="$2" file="$3" target="$4" argname="$5" base="$6"
  if docker image inspect "$image:$tag" >/dev/null 2>&1; then
    echo "build-images: $image:$tag is up to date" >&2
  else
    echo "build-images: building $image:$tag" >&2
    "${BUILD[@]}" -q -f "$file" ${target:+--target "$target"} --build-arg "$argname=$base" \
      --label "org.opencontainers.image.source=fedsynth" -t "$image:$tag" . >&2
  fi
  docker tag "$image:$tag" "$image:local"
}

for t in coordinator agent custodian; do
  build "fedsynth/$t" "$APP_HASH" compose/Dockerfile "$t" BASE_IMAGE "$BASE_IMAGE"
done
build fedsynth/postgres-silo "$PG_HASH" compose/Dockerfile.postgres "" PG_BASE "$PG_BASE"
# Older content tags of these images are superseded: remove them so re-runs do not fill the disk.
for t in coordinator agent custodian postgres-silo; do
  keep="$APP_HASH"; [ "$t" = postgres-silo ] && keep="$PG_HASH"
  docker image ls "fedsynth/$t" --format '{{.Tag}}' | while read -r old; do
    if [ "$old" != "$keep" ] && [ "$old" != local ]; then docker rmi "fedsynth/$t:$old" >/dev/null 2>&1 || true; fi
  done
done
echo "FEDSYNTH_TAG=$APP_HASH"
echo "FEDSYNTH_PG_TAG=$PG_HASH"
