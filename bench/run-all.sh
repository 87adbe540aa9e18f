#!/usr/bin/env bash
# Runs every benchmark once, on one machine, in one go, against one local Kafka
# broker (started here unless KAFKA_BOOTSTRAP_SERVERS is set), and prints the
# markdown that BENCHMARKS.md is made of. Takes about 13 minutes on 2 cores.
#   bash bench/run-all.sh [N]      (N messages for the Kafka and investigator runs; default 20000)
# With THOTH_KUBE_CACHE set (the kube binaries, scripts/kube.mjs fetch) it also measures the
# investigator against the loopback kube-apiserver, on BENCH_CLUSTER_N messages (default 2000;
# about 25 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
npm run build >/dev/null
started=""
if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  eval "$(node scripts/kafka.mjs start | grep '^KAFKA_BOOTSTRAP_SERVERS=')"
  export KAFKA_BOOTSTRAP_SERVERS
  started=yes
fi
trap '[[ -n "$started" ]] && node scripts/kafka.mjs stop >/dev/null 2>&1 || true' EXIT
echo "## Machine"
echo
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x$(nproc), $(free -g | awk '/Mem:/ {print $2}') GiB, Node $(node --version), kcat $(kcat -V 2>&1 | grep -oiE "version [0-9.]+" | head -1 | cut -d" " -f2), Kafka ${THOTH_KAFKA_VERSION:-4.1.1} (single-node KRaft on loopback)"
echo
echo "## Start-up"; echo; node bench/startup.mjs 20; echo
echo "## Publish / replay vs kcat"; echo; node bench/publish-vs-kcat.mjs "$n"; echo
echo "## Consume vs kcat"; echo; node bench/consume-vs-kcat.mjs "$n"; echo
echo "## Investigator throughput"; echo; node bench/investigate-throughput.mjs "$n"; echo
mixed=$(mktemp --suffix=.ndjson)
node bench/mixed-stream.mjs "$n" > "$mixed"
echo "## Investigator throughput, every message type"; echo; BENCH_STREAM="$mixed" node bench/investigate-throughput.mjs; echo
rm -f "$mixed"
echo "## Investigator on skewed streams"; echo; node bench/skewed-streams.mjs 2000; echo
if [[ -n "${THOTH_KUBE_CACHE:-}" ]]; then
  echo "## The investigator against a cluster"; echo; node bench/investigate-cluster.mjs "${BENCH_CLUSTER_N:-2000}"; echo
fi
echo "## Bounded memory"; echo; node bench/publish-memory.mjs 1000000; echo
echo "## Knowledge cache at scale"; echo; node bench/query-scale.mjs --versions 1000000
