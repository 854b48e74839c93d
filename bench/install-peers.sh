#!/usr/bin/env bash
# Installs the optional comparison peers for `npx reckit bench`: Debian's python3 numpy/faiss/torch
# (OpenBLAS) and the npm peers (usearch, hnswlib-node, @tensorflow/tfjs + wasm backend).
# None of these is used by the library itself; every bench suite skips a peer that is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-numpy python3-faiss python3-torch >/dev/null
else
  echo "install-peers: no apt-get; install numpy, faiss and torch for /usr/bin/python3 yourself" >&2
fi
cd "$here"
# --no-save: peers are for comparison only and never become dependencies of the package.
npm install --no-save --no-audit --no-fund usearch hnswlib-node @tensorflow/tfjs @tensorflow/tfjs-backend-wasm
