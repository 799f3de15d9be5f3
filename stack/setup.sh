#!/usr/bin/env bash
# Installs what the project needs, from the npm registry, Debian and Maven Central.
# Idempotent: each step checks first, so a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
KAFKA_VERSION=3.9.1
KAFKA_LIB=.cache/kafka-$KAFKA_VERSION/lib
say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: ClickHouse server, FAISS (static) with BLAS/LAPACK, Java for Kafka, Redis.
need_apt=()
command -v clickhouse-server >/dev/null || need_apt+=(clickhouse-server clickhouse-client)
dpkg -s libfaiss-dev >/dev/null 2>&1 || need_apt+=(libfaiss-dev)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need_apt+=(libopenblas0-pthread)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v g++ >/dev/null || need_apt+=(g++ make)
command -v curl >/dev/null || need_apt+=(curl)  # faiss source for the distance kernels (stack/faiss/kernels.sh)
command -v chromium >/dev/null || need_apt+=(chromium)  # browser tests (playwright-core)
command -v redis-server >/dev/null || need_apt+=(redis-server)  # shared online state (online.store: redis)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# 2. npm dependencies. Install scripts are skipped: faiss-node's downloads from GitHub and
#    tfjs-node's from Google storage both fail here; faiss-node is built in step 3 instead.
stamp=node_modules/.feed-install-stamp
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

# 3. faiss-node's addon, compiled against Debian's libfaiss, with search-time parameters
#    (nprobe, efSearch) and the BLAS threshold patched in; rebuilt when the build recipe changes.
addon=node_modules/faiss-node/build/Release/faiss-node.node
recipe=$(cat stack/faiss/binding.gyp stack/faiss/idx_t.h stack/faiss/faiss-node.patch stack/faiss/kernels.sh | sha256sum | cut -c1-16)
if [ ! -f "$addon" ] || [ "$(cat node_modules/faiss-node/.feed-build-stamp 2>/dev/null)" != "$recipe" ]; then
  say "building faiss-node against libfaiss-dev"
  cp stack/faiss/binding.gyp stack/faiss/idx_t.h node_modules/faiss-node/
  kernels=$(bash stack/faiss/kernels.sh node_modules/faiss-node/distances_simd.o)
  echo "$kernels" > node_modules/faiss-node/.feed-kernels
  say "faiss distance kernels: $kernels"
  # The patch always applies to the source as npm installed it (kept aside on the first build).
  src=node_modules/faiss-node/src/faiss.cc
  [ -f "$src.orig" ] || cp "$src" "$src.orig"
  cp "$src.orig" "$src"
  patch -s -p1 -d node_modules/faiss-node < stack/faiss/faiss-node.patch
  gyp=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js
  (cd node_modules/faiss-node && node "$gyp" rebuild --nodedir=/usr --loglevel=error >/tmp/faiss-node-build.log 2>&1) \
    || { cat /tmp/faiss-node-build.log; exit 1; }
  echo "$recipe" > node_modules/faiss-node/.feed-build-stamp
fi

# 4. Kafka broker jars from Maven Central.
if [ ! -f "$KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central"
  mvn -B -q -f stack/kafka/pom.xml org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$PWD/$KAFKA_LIB" -DincludeScope=runtime
fi

# 5. The web pages (feed app, dashboard) into web/dist; skipped when nothing changed.
node_modules/.bin/tsx web/build.ts
