#!/usr/bin/env bash
# nucleon local all-in-one demo, for a newcomer on a fresh Debian 12 machine (run as root).
#
# Usage: scripts/setup.sh              set up (idempotent; rerun to restart dead daemons)
#        scripts/setup.sh --down       stop what it started (daemons, relays, namespaces,
#                                      the demo neutron-server)
#        scripts/setup.sh --down --purge   ... and drop the demo database, state and logs
#
# What it does:
#  1. installs the Debian packages (neutron-server, RabbitMQ, MariaDB, dnsmasq, haproxy,
#     iproute2 ...) through test/harness/neutron-server.sh, npm deps (npm ci) and builds;
#  2. brings up a real neutron-server as harness instance "nucleon-demo" (state
#     /var/lib/nucleon-demo, logs /var/log/nucleon-demo, API http://127.0.0.1:9697/v2.0 unless
#     taken, RabbitMQ vhost nucleon-demo, DB nucleon_demo);
#  3. creates a demo network + subnet (nucleon-demo-net, 10.91.0.0/24) and a VM port bound
#     to host "nucleon-demo";
#  4. prepares netns nucleon-demo-node (the "compute/network node": the daemons run there,
#     so nothing touches the host's interfaces, routes or firewall; RabbitMQ is relayed in
#     with socat) and netns nucleon-demo-vm (the "VM": vmeth0 with the port's MAC and IP,
#     its peer tap<port[:11]> enslaved to brq<net[:11]> in the node, as os-vif would do);
#  5. starts the nucleon daemons that are built (dist/agents/<name>/main.js) with
#     `--config-file` flags like the Python agents, logs in /var/log/nucleon-demo/<name>.log;
#  6. shows GET /v2.0/agents.
# The linuxbridge and DHCP agents wire the VM and serve its lease; the L3, metadata and
# OVS dataplanes are still being written.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DOWN=0; PURGE=0
for a in "$@"; do
  case "$a" in
    --down) DOWN=1 ;;
    --purge) PURGE=1 ;;
    -h|--help) sed -n 2,27p "$0"; exit 0 ;;
    *) echo "unknown option: $a (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

export NUCLEON_HARNESS_NAME=nucleon-demo NUCLEON_HARNESS_PORT=${NUCLEON_DEMO_PORT:-9697} NUCLEON_HARNESS_HOST=nucleon-demo
HARNESS="$ROOT/test/harness/neutron-server.sh"
STATE=/var/lib/nucleon-demo
PIDS=$STATE/pids
DEMO_ETC=$STATE/demo-etc
LOG=/var/log/nucleon-demo
RUN=/run/nucleon-demo
NODE_NS=nucleon-demo-node
VM_NS=nucleon-demo-vm
HOST=nucleon-demo
NET_NAME=nucleon-demo-net
CIDR=10.91.0.0/24
VTEP_IP=172.31.253.1
PROJECT=nucleon-demo
AGENTS="linuxbridge dhcp l3 metadata"   # ovs: needs an OVS in the node netns (not yet)
T0=$(date +%s)
log() { echo "[setup $(( $(date +%s) - T0 ))s] $*"; }

alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pid_of() { [ -s "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }
running() { local p; p=$(pid_of "$1") && alive "$p"; }
start_bg() { # name logfile cmd...
  local name=$1 out=$2; shift 2
  setsid nohup "$@" >>"$out" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  log "started $name (pid $!)"
}
stop_named() { # name timeout_s
  local p; p=$(pid_of "$1") || return 0
  if alive "$p"; then
    kill -TERM "$p" 2>/dev/null || true
    local i; for ((i = 0; i < $2 * 5; i++)); do alive "$p" || break; sleep 0.2; done
    alive "$p" && { kill -KILL "$p" 2>/dev/null || true; log "killed $1 (pid $p)"; } || log "stopped $1 (pid $p)"
  fi
  rm -f "$PIDS/$1.pid"
}

# ---------------------------------------------------------------------------- down
if [ $DOWN = 1 ]; then
  for a in $AGENTS ovs; do stop_named "nucleon-$a-agent" 20; done
  for r in amqp-relay-node amqp-relay-host; do stop_named "$r" 5; done
  # The DHCP/L3 daemons leave dnsmasq and haproxy running on purpose (they must survive an
  # agent restart): stop the ones the demo's agents started, found by their pid files under
  # the demo's state_path, and the qdhcp-/qrouter- namespaces they served.
  for pf in "$STATE"/state/dhcp/*/pid "$STATE"/state/external/pids/*.pid.*; do
    [ -s "$pf" ] || continue
    p=$(cat "$pf"); case "$p" in ''|*[!0-9]*) continue ;; esac
    if alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "$STATE"; then kill -TERM "$p" && log "stopped $(basename "$pf") (pid $p)"; fi
  done
  for d in "$STATE"/state/dhcp/*/; do
    [ -d "$d" ] || continue; ns=qdhcp-$(basename "$d")
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" && log "deleted netns $ns"
  done
  for ns in $VM_NS $NODE_NS; do [ -e "/run/netns/$ns" ] && ip netns del "$ns" && log "deleted netns $ns"; done
  if [ $PURGE = 1 ]; then bash "$HARNESS" down --purge; else bash "$HARNESS" down; fi
  rm -rf "$RUN"
  log "demo stopped"
  exit 0
fi

# ---------------------------------------------------------------------------- 1. install + build
command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "Node.js >= 20 with npm is required (Debian 12's nodejs is 18: use NodeSource or nvm)" >&2; exit 1; }
bash "$HARNESS" install
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"; npm ci --no-audit --no-fund
fi
log "building (npm run build)"
if ! npm run -s build; then
  log "WARNING: tsc reported errors (work in progress?); continuing with the JavaScript it emitted"
fi

# ---------------------------------------------------------------------------- 2. neutron-server
bash "$HARNESS" up
eval "$(bash "$HARNESS" env)"
A=$NUCLEON_TEST_API
CONF=$NUCLEON_TEST_CONF_DIR
mkdir -p "$PIDS" "$LOG" "$DEMO_ETC" "$RUN"

api() { # method path [json]
  if [ $# -ge 3 ]; then curl -fsS -X "$1" "$A/$2" -H 'Content-Type: application/json' -d "$3"
  else curl -fsS -X "$1" "$A/$2"; fi
}

# ---------------------------------------------------------------------------- 3. network, subnet, port
NET=$(api GET "networks?name=$NET_NAME" | jq -r '.networks[0].id // empty')
if [ -z "$NET" ]; then
  NET=$(api POST networks '{"network":{"name":"'$NET_NAME'","project_id":"'$PROJECT'"}}' | jq -r .network.id)
  log "created network $NET_NAME ($NET)"
fi
SUB=$(api GET "subnets?network_id=$NET" | jq -r '.subnets[0].id // empty')
if [ -z "$SUB" ]; then
  SUB=$(api POST subnets '{"subnet":{"name":"'$NET_NAME'-subnet","network_id":"'$NET'","ip_version":4,"cidr":"'$CIDR'","enable_dhcp":true,"dns_nameservers":[],"project_id":"'$PROJECT'"}}' | jq -r .subnet.id)
  log "created subnet $CIDR ($SUB)"
fi
PORT_JSON=$(api GET "ports?name=nucleon-demo-vm&network_id=$NET" | jq -c '.ports[0] // empty')
if [ -z "$PORT_JSON" ]; then
  PORT_JSON=$(api POST ports '{"port":{"name":"nucleon-demo-vm","network_id":"'$NET'","binding:host_id":"'$HOST'","device_owner":"compute:nova","device_id":"'"$(cat /proc/sys/kernel/random/uuid)"'","project_id":"'$PROJECT'"}}' | jq -c .port)
  log "created VM port $(jq -r .id <<<"$PORT_JSON")"
fi
PORT=$(jq -r .id <<<"$PORT_JSON"); MAC=$(jq -r .mac_address <<<"$PORT_JSON")
IP=$(jq -r '.fixed_ips[0].ip_address' <<<"$PORT_JSON")
GW=$(api GET "subnets/$SUB" | jq -r .subnet.gateway_ip)

# ---------------------------------------------------------------------------- 4. namespaces
ensure_ns() { [ -e "/run/netns/$1" ] || { ip netns add "$1"; log "created netns $1"; }; ip -n "$1" link set lo up; }
ensure_ns $NODE_NS
ensure_ns $VM_NS
# physnet1 and the VXLAN endpoint of the node: veth pairs inside the node netns (dummy
# devices are not available on every kernel); nothing leaves the machine
for d in demo-phys demo-vtep; do
  ip -n $NODE_NS link show ${d}0 >/dev/null 2>&1 || ip -n $NODE_NS link add ${d}0 type veth peer name ${d}1
  ip -n $NODE_NS link set ${d}0 up; ip -n $NODE_NS link set ${d}1 up
done
ip -n $NODE_NS addr replace $VTEP_IP/24 dev demo-vtep0
# RabbitMQ relay: host 127.0.0.1:5672 <- unix socket <- 127.0.0.1:5672 in the node netns
running amqp-relay-host || start_bg amqp-relay-host "$LOG/amqp-relay-host.out" \
  socat UNIX-LISTEN:"$RUN/amqp.sock",fork,unlink-early,mode=600 TCP:127.0.0.1:5672
running amqp-relay-node || start_bg amqp-relay-node "$LOG/amqp-relay-node.out" \
  nsenter --net=/run/netns/$NODE_NS -- socat TCP-LISTEN:5672,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$RUN/amqp.sock"
# the "VM": vmeth0 (port MAC + fixed IP) <-> tap<port11> in the node, on brq<net11> (os-vif's job)
TAP=tap${PORT:0:11}; BRQ=brq${NET:0:11}
if ! ip -n $NODE_NS link show "$TAP" >/dev/null 2>&1; then
  ip -n $VM_NS link del vmeth0 2>/dev/null || true
  ip -n $NODE_NS link add "$TAP" type veth peer name vmeth0 netns $VM_NS
  log "plugged $TAP (node) <-> vmeth0 (vm)"
fi
ip -n $NODE_NS link show "$BRQ" >/dev/null 2>&1 || ip -n $NODE_NS link add "$BRQ" type bridge
ip -n $NODE_NS link set "$TAP" master "$BRQ"
ip -n $NODE_NS link set "$BRQ" up; ip -n $NODE_NS link set "$TAP" up
ip -n $VM_NS link set vmeth0 address "$MAC"
ip -n $VM_NS addr replace "$IP/${CIDR#*/}" dev vmeth0
ip -n $VM_NS link set vmeth0 up
ip -n $VM_NS route replace default via "$GW" dev vmeth0 2>/dev/null || true

# ---------------------------------------------------------------------------- 5. daemons
# netns-exec NS CMD...: run in the node netns with its own /sys, without making the mount
# tree a slave, so the qdhcp-*/qrouter-* namespaces the agents create stay visible on the host
cat >"$STATE/netns-exec" <<'EOF'
#!/bin/sh
ns=$1; shift
exec nsenter --net="/run/netns/$ns" -- unshare --mount --propagation unchanged -- \
  /bin/sh -c 'mount --make-rprivate /sys && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys && exec "$@"' sh "$@"
EOF
chmod 755 "$STATE/netns-exec"
cat >"$DEMO_ETC/linuxbridge_agent.ini" <<EOF
[linux_bridge]
physical_interface_mappings = physnet1:demo-phys0
[vxlan]
enable_vxlan = True
local_ip = $VTEP_IP
l2_population = False
[securitygroup]
enable_security_group = True
firewall_driver = iptables
[agent]
polling_interval = 2
EOF
cp "$CONF/dhcp_agent.ini" "$CONF/l3_agent.ini" "$CONF/metadata_agent.ini" "$DEMO_ETC/"
started=()
for a in $AGENTS; do
  js=$ROOT/dist/agents/$a/main.js name=nucleon-$a-agent
  if running "$name"; then log "$name already running (pid $(pid_of "$name"))"; continue; fi
  if [ ! -e "$js" ]; then log "$name: not built yet ($js missing), skipped"; continue; fi
  case $a in
    linuxbridge) extra=(--config-file "$CONF/ml2_conf.ini" --config-file "$DEMO_ETC/linuxbridge_agent.ini") ;;
    *) extra=(--config-file "$DEMO_ETC/${a}_agent.ini") ;;
  esac
  start_bg "$name" "$LOG/$name.log" "$STATE/netns-exec" $NODE_NS \
    node --enable-source-maps "$js" --config-file "$CONF/neutron.conf" "${extra[@]}"
  started+=("$name")
done

# ---------------------------------------------------------------------------- 6. agents
if [ ${#started[@]} -gt 0 ]; then
  log "waiting up to 60 s for the ${#started[@]} started daemon(s) to report"
  for _ in $(seq 1 30); do
    n=$(api GET "agents?host=$HOST" | jq '[.agents[] | select(.alive)] | length')
    [ "$n" -ge ${#started[@]} ] && break
    sleep 2
  done
  for s in "${started[@]}"; do running "$s" || { log "WARNING: $s exited, see $LOG/$s.log:"; tail -5 "$LOG/$s.log"; }; done
fi
# ---------------------------------------------------------------------------- 7. the VM's lease
# busybox udhcpc with our own hook: Debian's default hook would rewrite the host's
# /etc/resolv.conf (network namespaces share the host's mount namespace).
cat >"$STATE/udhcpc-hook.sh" <<'EOF_HOOK'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
env | grep -E '^(ip|subnet|router|dns|mtu|lease)=' > "$LEASE_FILE"
EOF_HOOK
chmod 755 "$STATE/udhcpc-hook.sh"
rm -f "$STATE/vm.lease"
LEASE="(none)"
for _ in $(seq 1 10); do
  LEASE_FILE="$STATE/vm.lease" ip netns exec $VM_NS busybox udhcpc -i vmeth0 -q -n -f -t 3 -T 1 -s "$STATE/udhcpc-hook.sh" >/dev/null 2>&1 || true
  [ -s "$STATE/vm.lease" ] && { LEASE=$(tr '\n' ' ' <"$STATE/vm.lease"); break; }
  sleep 2
done
log "VM DHCP lease: $LEASE"
# ACTIVE once both the L2 agent and dnsmasq (dhcp_ready_on_ports) have reported the port.
for _ in $(seq 1 30); do
  PORT_STATUS=$(api GET "ports/$PORT" | jq -r .port.status)
  [ "$PORT_STATUS" = ACTIVE ] && break
  sleep 0.5
done

echo
echo "GET $A/agents:"
api GET agents | jq -r '.agents[] | "  \(.agent_type)\thost=\(.host)\talive=\(.alive)\tbinary=\(.binary)"'
[ "$(api GET agents | jq '.agents | length')" = 0 ] && echo "  (none yet)"
cat <<EOF

  Neutron API : $A   (noauth; e.g. curl -s $A/agents | jq .)
  Transport   : $NUCLEON_TEST_TRANSPORT_URL
  Network     : $NET_NAME $NET, subnet $CIDR
  VM          : netns $VM_NS, vmeth0 $MAC $IP (port $PORT, device $TAP on $BRQ in netns $NODE_NS)
                port $PORT_STATUS; DHCP lease from nucleon-dhcp-agent's dnsmasq: $LEASE
  Daemons     : netns $NODE_NS, logs $LOG/nucleon-*-agent.log, PIDs $PIDS
  Stop        : scripts/setup.sh --down [--purge]
EOF
log "done"
