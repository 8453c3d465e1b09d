#!/usr/bin/env bash
# bench/fleet-stores.sh — issue 19's benchmark: the fleet benchmark on SQLite and on etcd, back to back, and etcd's write rate
# while the registered fleet idles (node liveness cost). Usage: bash bench/fleet-stores.sh NODES REPLICAS
set -u
N=${1:-200}; R=${2:-2000}
cd "$(dirname "$0")/.."
ETCD_DIR=$(mktemp -d /tmp/fleet-etcd.XXXX)
etcd --name f0 --data-dir "$ETCD_DIR" --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster f0=http://127.0.0.1:23800 --quota-backend-bytes 4294967296 > "$ETCD_DIR.log" 2>&1 &
EPID=$!
for i in $(seq 1 50); do curl -sf http://127.0.0.1:23790/health >/dev/null && break; sleep 0.2; done
puts() { curl -s http://127.0.0.1:23790/metrics | awk '/^etcd_mvcc_put_total /{p=$2} /^etcd_mvcc_txn_total /{t=$2} /^etcd_mvcc_delete_total /{d=$2} END{printf "%d %d %d\n", p, t, d}'; }
# Sample etcd's write counters every 5 s during the etcd run.
( while kill -0 $EPID 2>/dev/null; do echo "$(date +%s) $(puts)"; sleep 5; done ) > "${ETCD_DIR}.puts" &
SPID=$!
echo "=== SQLite"; npx tsx bench/fleet.ts --nodes "$N" --replicas "$R" --scenarios register,deploy --idle 30s --timeout 300s --identity-dir "${FLEET_IDS:-/tmp/fleet-ids}"
echo "=== etcd (start $(date +%s))"; npx tsx bench/fleet.ts --nodes "$N" --replicas "$R" --scenarios register,deploy --idle 30s --timeout 300s --identity-dir "${FLEET_IDS:-/tmp/fleet-ids}" -- --store etcd --etcd-endpoints http://127.0.0.1:23790 --etcd-prefix /fleet
echo "=== etcd end $(date +%s)"
kill $SPID $EPID; wait $EPID 2>/dev/null
echo "etcd writes sampled every 5 s (time puts txns deletes):"; cat "${ETCD_DIR}.puts"
rm -rf "$ETCD_DIR" "${ETCD_DIR}.puts" "${ETCD_DIR}.log"
