#!/usr/bin/env bash
# npm run test:image: builds the container image and runs test/image/ against it through
# testcontainers. It needs a container engine: a Docker-compatible socket (DOCKER_HOST or
# /var/run/docker.sock), or podman, which it sets up the way ../shared/tools/container.md says.
# Without one it says so and exits 2: it never claims a pass it did not run.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${S3BEAT_IMAGE:-s3beat:test}"
engine=""
if [ -n "${DOCKER_HOST:-}" ] || [ -S /var/run/docker.sock ]; then
  if docker info >/dev/null 2>&1; then engine=docker; fi
fi
if [ -z "$engine" ] && [ -f ../shared/tools/podman-env.sh ] && { command -v podman >/dev/null 2>&1 || command -v apt-get >/dev/null 2>&1; }; then
  # shellcheck source=/dev/null
  . ../shared/tools/podman-env.sh
  if [ -f ../shared/tools/make-node-base-image.sh ] && ! podman image exists docker.io/library/node:24-bookworm-slim; then
    ../shared/tools/make-node-base-image.sh >/dev/null
  fi
  ctr_service_start
  trap ctr_service_stop EXIT
  engine=podman
fi
if [ -z "$engine" ]; then
  echo "test:image: no container engine reachable (no Docker socket, no podman): nothing was tested. See README, Development." >&2
  exit 2
fi
echo "test:image: building $tag with $engine" >&2
if [ "$engine" = podman ]; then
  # shellcheck disable=SC2086
  podman build --pull=never --format docker $CTR_BUILD_MOUNTS -t "$tag" . >&2
  podman image inspect "$tag" --format 'test:image: image size {{.Size}} bytes' >&2
else
  docker build -t "$tag" . >&2
fi
# Leftovers of an interrupted run would hold ports; testcontainers' reaper cannot run here.
S3BEAT_IMAGE="$tag" sh scripts/with-node24.sh npx vitest run --config vitest.image.config.ts
