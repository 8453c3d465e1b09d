#!/bin/sh
# The mesh relay with real processes in network namespaces (issue 20): the hub on the host, node
# ep-h-a and node ep-h-b each in a namespace of its own with a veth pair to the host and no route to
# the other. hello-c runs only on ep-h-b; a request to ep-h-a's NodePort, made inside ep-h-a's
# namespace, is answered through the hub's relay. Needs root (ip netns). Prints the answers and the
# relay figures; removes the namespaces on exit. Run after `npm run build && npm run build:examples`:
#   sudo sh bench/mesh-relay-netns.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/ep-h-netns.XXXXXX)
PORT=7491
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for n in a b; do ip netns del "ep-h-$n" 2>/dev/null || true; ip link del "ep-h-${n}0" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
# Leftovers of an earlier run.
for n in a b; do ip netns del "ep-h-$n" 2>/dev/null || true; ip link del "ep-h-${n}0" 2>/dev/null || true; done
i=1
for n in a b; do
  ip netns add "ep-h-$n"
  ip link add "ep-h-${n}0" type veth peer name "ep-h-${n}1"
  ip link set "ep-h-${n}1" netns "ep-h-$n"
  ip addr add "10.91.$i.1/24" dev "ep-h-${n}0"
  ip link set "ep-h-${n}0" up
  ip -n "ep-h-$n" addr add "10.91.$i.2/24" dev "ep-h-${n}1"
  ip -n "ep-h-$n" link set "ep-h-${n}1" up
  ip -n "ep-h-$n" link set lo up
  i=$((i + 1))
done
# No route from one namespace to the other: only to the hub's end of its own veth.
if ip netns exec ep-h-a node -e "require('net').connect(10250,'10.91.2.2').on('error',e=>{console.log('direct A->B:',e.code);process.exit(0)}).on('connect',()=>process.exit(1))"; then :; else echo "A reaches B directly: the test would prove nothing"; exit 1; fi

EDGE_LOG_LEVEL=warn node "$ROOT/bin/edge-hub.js" --data-dir "$DIR/hub" --listen "0.0.0.0:$PORT" \
  --tls-san 10.91.1.1 --tls-san 10.91.2.1 >"$DIR/hub.log" 2>&1 &
PIDS="$PIDS $!"
until [ -f "$DIR/hub/join.token" ] && grep -q serving "$DIR/hub.log"; do sleep 0.2; done
i=1
for n in a b; do
  EDGE_LOG_LEVEL=warn ip netns exec "ep-h-$n" node "$ROOT/bin/edge-node.js" --server "https://10.91.$i.1:$PORT" \
    --token-file "$DIR/hub/join.token" --name "ep-h-$n" --address "10.91.$i.2" --labels "relay-test=$n" \
    --data-dir "$DIR/node-$n" --mesh-relay auto >"$DIR/node-$n.log" 2>&1 &
  PIDS="$PIDS $!"
  i=$((i + 1))
done
export EDGE_SERVER="https://127.0.0.1:$PORT" EDGE_CA_FILE="$DIR/hub/pki/ca.crt" EDGE_CONFIG="$DIR/edgectl-config"
EDGE_TOKEN=$(cat "$DIR/hub/admin.token")
export EDGE_TOKEN
CTL="node $ROOT/bin/edgectl.js"
until $CTL get nodes 2>/dev/null | grep -c " Ready" | grep -q 2; do sleep 0.5; done
cp "$ROOT/examples/wasm-apps/hello-c/dist/hello-c.wasm" "$DIR/"
cat >"$DIR/app.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello-c}
spec:
  replicas: 1
  selector: {matchLabels: {app: hello-c}}
  template:
    metadata: {labels: {app: hello-c}}
    spec:
      runtimeClassName: wasm
      nodeSelector: {relay-test: b}
      containers:
        - name: hello-c
          image: ./hello-c.wasm
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: hello-c}
spec:
  type: NodePort
  selector: {app: hello-c}
  ports: [{port: 80, targetPort: 8080, nodePort: 30082}]
YAML
$CTL apply -f "$DIR/app.yaml"
T0=$(date +%s)
# Inside A's namespace: A's NodePort; the only pod is on B, which A cannot reach but through the hub.
ip netns exec ep-h-a node -e "
const t0 = Date.now();
(async () => {
  for (;;) {
    try {
      const r = await fetch('http://10.91.1.2:30082/');
      const body = await r.text();
      if (r.status === 200) { console.log('first answer via A after', Date.now() - t0, 'ms:', body.trim().slice(0, 120)); break; }
    } catch {}
    if (Date.now() - t0 > 180000) { console.log('no answer'); process.exit(1); }
    await new Promise((r) => setTimeout(r, 300));
  }
  const lat = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const r = await fetch('http://10.91.1.2:30082/');
    await r.text();
    if (r.status !== 200) { console.log('status', r.status); process.exit(1); }
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  console.log('200 requests via A NodePort -> hub relay -> B: all 200, p50', lat[100].toFixed(2), 'ms p99', lat[198].toFixed(2), 'ms');
})();
"
echo "apply to answered: $(( $(date +%s) - T0 )) s"
grep -i relay "$DIR"/node-*.log | head -5 || true
