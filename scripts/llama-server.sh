#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` from the exact llama.cpp source node-llama-cpp ships (a git bundle inside the
# package), once per bundle and CPU: the binary is cached under ${ALPACA_RAG_CACHE:-~/.cache/alpaca-rag} keyed by the
# bundle's SHA-256 and the CPU's feature flags (the build is tuned to this CPU). Prints the binary's path on stdout;
# build output goes to stderr. About 10 minutes on 2 cores the first time, instant after.
# Used by the tests and benchmarks that compare with, or pool, llama.cpp servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
if [ ! -f "$bundle" ]; then
  echo "llama-server: $bundle is missing: run npm ci first" >&2
  exit 2
fi
for tool in git cmake c++ make; do
  command -v "$tool" >/dev/null || { echo "llama-server: $tool is needed to build it (apt-get install git cmake g++ make)" >&2; exit 2; }
done
key=$( { sha256sum "$bundle" | cut -d' ' -f1; grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m; } | sha256sum | cut -c1-16)
cache="${ALPACA_RAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alpaca-rag}/llama-server-$key"
bin="$cache/llama-server"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
# One build at a time: tests running side by side wait for the first one instead of building twice.
exec 9>"$cache.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  git clone --quiet "$bundle" "$work/llama.cpp"
  cmake -S "$work/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=ON
  cmake --build "$work/build" --target llama-server -j "$(nproc)"
} >&2
cp "$work/build/bin/llama-server" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
