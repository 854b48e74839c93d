#!/usr/bin/env bash
# Installs the optional comparison peers for `npx reckit bench`: Debian's python3 numpy/faiss/torch on
# OpenBLAS, and the npm peers (usearch, hnswlib-node, @tensorflow/tfjs + wasm backend).
# None of these is used by the library itself; every bench suite skips a peer that is missing.
#
# Why OpenBLAS matters: Debian's numpy, faiss and torch link the generic libblas.so.3, which is the slow
# reference BLAS unless an optimized implementation is installed and selected. Peer figures measured on the
# reference BLAS are meaningless, so this script installs libopenblas0-pthread, points the libblas.so.3 and
# liblapack.so.3 alternatives at it, and checks that numpy really runs on it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    libopenblas0-pthread python3-numpy python3-faiss python3-torch >/dev/null
  # Select OpenBLAS explicitly: its alternatives win in auto mode, but a manual choice made earlier would stick.
  arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  for lib in libblas.so.3 liblapack.so.3; do
    target="/usr/lib/$arch/openblas-pthread/$lib"
    if [ -e "$target" ]; then
      $SUDO update-alternatives --set "$lib-$arch" "$target" >/dev/null
    fi
  done
else
  echo "install-peers: no apt-get; install numpy, faiss and torch on OpenBLAS for /usr/bin/python3 yourself" >&2
fi
# The check the benches print too: which BLAS numpy loaded, and a timed 1024³ matmul (the reference BLAS
# manages ~2 GFLOP/s, OpenBLAS tens).
/usr/bin/python3 - <<'EOF' || echo "install-peers: numpy check failed" >&2
import os, re, time
import numpy as np
maps = open('/proc/self/maps').read()
blas = sorted(set(re.findall(r'/\S*(?:openblas|libblas|libmkl|libblis)\S*\.so[\d.]*', maps)))
a = np.random.default_rng(1).standard_normal((1024, 1024), dtype=np.float32)
a @ a
t = time.perf_counter(); a @ a; dt = time.perf_counter() - t
print(f"install-peers: numpy {np.__version__} BLAS {' '.join(blas) or 'unknown'}; 1024^3 sgemm {2 * 1024**3 / dt / 1e9:.1f} GFLOP/s")
EOF
cd "$here"
# --no-save: peers are for comparison only and never become dependencies of the package (package.json and
# package-lock.json stay untouched; a later plain `npm install` may prune them, so rerun this script then).
npm install --no-save --no-audit --no-fund usearch hnswlib-node @tensorflow/tfjs @tensorflow/tfjs-backend-wasm
