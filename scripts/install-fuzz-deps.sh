#!/usr/bin/env bash
# Installs what `npm run fuzz` needs: clang-14 and its runtime libraries (libFuzzer, ASan, UBSan) from
# Debian's own packages. Idempotent; run as root (CI images) or with sudo.
set -euo pipefail
if command -v clang++-14 >/dev/null 2>&1 && [ -e "$(clang++-14 -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]; then
  echo "install-fuzz-deps: clang-14 with libFuzzer already present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev
clang++-14 --version | head -1
