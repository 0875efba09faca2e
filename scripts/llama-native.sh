#!/usr/bin/env bash
# Builds node-llama-cpp's llama.cpp binding for this CPU from the llama.cpp source the package ships (a git bundle, so
# no network), with node-llama-cpp's own `source download`: -march=native and OpenMP, as llama.cpp's own llama-server
# is built. node-llama-cpp then loads this build instead of its portable prebuilt one. Measured on a 2-core x86 VM
# with the 110M generator: the prompt evaluates about 2x as fast and decoding about 1.3x (README, Quick start).
# The build (about 4 minutes on 2 cores) is cached under ${ALPACA_RAG_CACHE:-~/.cache/alpaca-rag}, keyed by the bundle's
# SHA-256, node-llama-cpp's version and the CPU's feature flags, so a fresh `npm ci` gets it back in a second.
# CPU only: on a machine with CUDA or Vulkan node-llama-cpp still prefers its prebuilt GPU binaries (it looks for a
# local build of each GPU kind first, and this is a CPU build), so this build serves CPU inference only.
# `--remove` goes back to the prebuilt binaries. Prints the build folder on stdout; build output goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg="$root/node_modules/node-llama-cpp"
llama="$pkg/llama"
bundle="$llama/gitRelease.bundle"
if [ ! -f "$bundle" ]; then
  echo "llama-native: $bundle is missing: run npm ci first" >&2
  exit 2
fi
if [ "${1:-}" = "--remove" ]; then
  rm -rf "$llama/localBuilds" "$llama/lastBuild.json" "$llama/llama.cpp" "$llama/llama.cpp.info.json"
  echo "llama-native: removed; node-llama-cpp uses its prebuilt binaries" >&2
  exit 0
fi
version=$(node -p "require('$pkg/package.json').version")
key=$( { sha256sum "$bundle" | cut -d' ' -f1; echo "$version"; grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m; } | sha256sum | cut -c1-16)
cache="${ALPACA_RAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alpaca-rag}/node-llama-cpp-native-$key"
restore() {
  rm -rf "$llama/localBuilds"
  mkdir -p "$llama/localBuilds"
  cp -a "$cache/localBuilds/." "$llama/localBuilds/"
  cp "$cache/lastBuild.json" "$cache/llama.cpp.info.json" "$llama/"
  echo "$llama/localBuilds"
}
if [ -f "$cache/done" ]; then
  restore
  exit 0
fi
for tool in git cmake c++ make; do
  command -v "$tool" >/dev/null || { echo "llama-native: $tool is needed to build (apt-get install git cmake g++ make)" >&2; exit 2; }
done
mkdir -p "$(dirname "$cache")"
# One build at a time: a second caller waits for the first and then restores its result.
exec 9>"$cache.lock"
flock 9
if [ -f "$cache/done" ]; then
  restore
  exit 0
fi
(cd "$root" && npx --no node-llama-cpp source download --gpu false --noUsageExample) >&2
folder=$(node -p "require('$llama/lastBuild.json').folderName")
rm -rf "$cache.tmp"
mkdir -p "$cache.tmp/localBuilds/$folder"
# The compiled libraries, their metadata and the mark of a finished build (node-llama-cpp loads a local build only with
# all three); the CMake work files and the 200 MB source clone are not needed to load it.
cp -a "$llama/localBuilds/$folder/Release" "$llama/localBuilds/$folder/buildDone.status" "$cache.tmp/localBuilds/$folder/"
cp "$llama/lastBuild.json" "$llama/llama.cpp.info.json" "$cache.tmp/"
touch "$cache.tmp/done"
rm -rf "$cache"
mv "$cache.tmp" "$cache"
rm -rf "$llama/llama.cpp"
restore
