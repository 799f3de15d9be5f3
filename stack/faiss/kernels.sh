#!/usr/bin/env bash
# Compiles faiss's distance kernels (faiss/utils/distances_simd.cpp) and scalar-quantizer codecs
# (faiss/impl/ScalarQuantizer.cpp), from the Debian source of the same faiss 1.7.3 as
# libfaiss-dev, for this machine's CPU into one object $1, which the addon links ahead of
# libfaiss.a. Debian's libfaiss is a generic x86-64 build whose kernels are the scalar reference
# loops (~0.7 GMAC/s); -march=native enables faiss's own AVX/SSE/F16C versions. If the source
# cannot be fetched or built, $1 is an empty object and the generic kernels stay.
set -euo pipefail
out=$1
url=http://deb.debian.org/debian/pool/main/f/faiss/faiss_1.7.3.orig.tar.gz
sha=3e4fac26d8c9e9008ecea4ae5fc414c658998fce4ba75835058b1a71d3516002
cache=.cache/faiss
mkdir -p "$cache"
tarball=$cache/faiss_1.7.3.orig.tar.gz

native() {
  [ -f "$tarball" ] && echo "$sha  $tarball" | sha256sum -c --status || {
    curl -fsSL --retry 3 -o "$tarball.part" "$url" && mv "$tarball.part" "$tarball"
    echo "$sha  $tarball" | sha256sum -c --status
  }
  local sources=(faiss/utils/distances_simd.cpp faiss/impl/ScalarQuantizer.cpp) objects=()
  tar -xzf "$tarball" -C "$cache" "${sources[@]/#/faiss-1.7.3/}"
  for src in "${sources[@]}"; do
    objects+=("$cache/$(basename "$src" .cpp).o")
    g++ -O3 -march=native -fPIC -fopenmp -std=c++17 -c "$cache/faiss-1.7.3/$src" -o "${objects[-1]}"
  done
  ld -r "${objects[@]}" -o "$out"
}

if native 2>"$cache/build.log"; then
  echo "native"
else
  echo "[setup] warning: could not build faiss's distance kernels for this CPU (see $cache/build.log); using libfaiss's generic ones" >&2
  echo '' | g++ -x c++ -c - -o "$out"
  echo "generic"
fi
