# shellcheck shell=bash
# Sourced by test/harness/neutron-server.sh: Debian's Python agents (linuxbridge, dhcp, l3,
# metadata) in a node namespace of their own, for side-by-side runs against nucleon.
#
# A "Python node" (NUCLEON_PY_NODE, default "$NAME-py") is:
#   netns <node>        lo; py-phys0 <-> py-ext0 (physnet1), py-vtep0 172.31.254.1/24
#                       (VXLAN local_ip, peer py-vtep1); 127.0.0.1:5672 = AMQP relay
#                       (socat in the netns -> unix socket -> socat -> host 127.0.0.1:5672)
#   agent host          <node> (distinct from the nucleon tests' hosts)
#   configs             $CONF/neutron.conf + $CONF/<agent>_agent.ini + $STATE/python/<node>/node.conf
#                       (host, state_path, lock_path, root_helper, the node's devices; last wins)
#   state_path          $STATE/python/<node>/state (dnsmasq/haproxy confs and pid files;
#                       removed with the node on down, logs are kept)
#   PIDs                $PIDS/python/<node>/<agent>.pid (+ <agent>.launch = epoch ms at launch),
#                       relay-host.pid, relay-ns.pid
#   logs                $LOG/python/<node>/<agent>.log (+ <agent>.out: stdout/stderr)
# Agents run under nsenter --net plus a private mount namespace with a fresh /sys (mount
# propagation unchanged), so the qdhcp-*/qrouter-* namespaces they create show up on the
# host; iptables/ebtables/sysctls they touch are the node namespace's.
# Everything they spawn stays in the agent's process group (privsep daemons fork away
# from their parent but keep the group) except dnsmasq/haproxy, which daemonize and are
# found through the pid files under the node's state_path.

PY_AGENTS_ALL="linuxbridge dhcp l3 metadata"
PY_DEV_PHYS=py-phys0 PY_DEV_EXT=py-ext0 PY_DEV_VTEP=py-vtep0 PY_DEV_VTEP_PEER=py-vtep1
PY_VTEP_IP=172.31.254.1

py_node() {
  local n=${NUCLEON_PY_NODE:-$NAME-py}
  case "$n" in *[!a-z0-9-]*|"") die "NUCLEON_PY_NODE must match [a-z0-9-]+" ;; esac
  [ ${#n} -le 40 ] || die "NUCLEON_PY_NODE is longer than 40 characters"
  echo "$n"
}
py_bin() { echo "/usr/bin/neutron-$1-agent"; }
py_ini() { echo "$1_agent.ini"; }
py_type() {
  case "$1" in
    linuxbridge) echo "Linux bridge agent" ;; dhcp) echo "DHCP agent" ;;
    l3) echo "L3 agent" ;; metadata) echo "Metadata agent" ;;
  esac
}
api() { echo "http://127.0.0.1:$(api_port)/v2.0"; }
# `ip`/bash probe: something listens on 127.0.0.1:$1 inside netns $2
ns_port_open() { nsenter --net="/run/netns/$2" -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# pid alive and its command line contains $2 (guards against PID reuse)
pid_runs() { alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }
# live (non-zombie) members of process group $1
pgroup_members() {
  local p
  for p in $(ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g {print $1}'); do if alive "$p"; then echo "$p"; fi; done
}
# live descendants of pid $1 (through /proc ppid links)
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END { n = split(kids[root], q, " "); while (n > 0) { p = q[n--]; print p; m = split(kids[p], c, " "); for (i = 1; i <= m; i++) q[++n] = c[i] } }' |
    while read -r p; do if alive "$p"; then echo "$p"; fi; done
}

py_write_node_conf() { # node dir
  local node=$1 d=$2
  cat >"$d/node.conf" <<EOF
# written by test/harness/neutron-server.sh up --python-agents (node $node); passed last
[DEFAULT]
host = $node
state_path = $d/state

[agent]
# the agents run as root: commands run directly; this only starts the privsep daemons
root_helper = neutron-rootwrap /etc/neutron/rootwrap.conf

[oslo_concurrency]
lock_path = $d/lock

[linux_bridge]
physical_interface_mappings = physnet1:$PY_DEV_PHYS

[vxlan]
enable_vxlan = True
local_ip = $PY_VTEP_IP
l2_population = False
EOF
}

# ebtables-nft 1.8.9 cannot delete rules that use --among-src by specification on this
# kernel (RULE_DELETE: Invalid argument); the linuxbridge agent's anti-spoofing cleanup then
# loops. First in the agents' PATH: delete such rules by their number instead.
py_write_ebtables_shim() {
  mkdir -p "$STATE/bin/override"
  cat >"$STATE/bin/override/ebtables.tmp" <<'EOF'
#!/usr/bin/python3
# nucleon harness: ebtables wrapper for the Python linuxbridge agent (see python-agents.sh)
import os, subprocess, sys
real, argv = '/usr/sbin/ebtables', sys.argv[1:]
if '-D' in argv and '--among-src' in argv:
    i = argv.index('-D')
    head, chain, rule = argv[:i], argv[i + 1], ' '.join(argv[i + 2:]).replace(', ', ',').rstrip(',')
    listing = subprocess.run([real, *head, '-L', chain, '--Ln'], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        num, _, spec = line.strip().partition(' ')
        if num.rstrip('.').isdigit() and spec.strip().rstrip(',') == rule:
            os.execv(real, [real, *head, '-D', chain, num.rstrip('.')])
os.execv(real, [real, *argv])
EOF
  chmod 755 "$STATE/bin/override/ebtables.tmp"
  mv -f "$STATE/bin/override/ebtables.tmp" "$STATE/bin/override/ebtables"
}

py_setup_netns() { # node
  local ns=$1
  [ -e "/run/netns/$ns" ] || { ip netns add "$ns"; log "created netns $ns"; }
  ip -n "$ns" link set lo up
  ip -n "$ns" link show "$PY_DEV_PHYS" >/dev/null 2>&1 || ip -n "$ns" link add "$PY_DEV_PHYS" type veth peer name "$PY_DEV_EXT"
  ip -n "$ns" link show "$PY_DEV_VTEP" >/dev/null 2>&1 || ip -n "$ns" link add "$PY_DEV_VTEP" type veth peer name "$PY_DEV_VTEP_PEER"
  ip -n "$ns" addr replace "$PY_VTEP_IP/24" dev "$PY_DEV_VTEP"
  local dev
  for dev in "$PY_DEV_PHYS" "$PY_DEV_EXT" "$PY_DEV_VTEP" "$PY_DEV_VTEP_PEER"; do ip -n "$ns" link set "$dev" up; done
}

py_start_relays() { # node pids-dir run-dir
  local ns=$1 pd=$2 rd=$3 sock=$3/amqp.sock i
  if ! pid_runs "$(cat "$pd/relay-host.pid" 2>/dev/null)" "$sock"; then
    setsid nohup socat "UNIX-LISTEN:$sock,fork,unlink-early,mode=600" TCP:127.0.0.1:5672 \
      >>"$LOG/python/$ns/relay.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/relay-host.pid"
    for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
    [ -S "$sock" ] || die "AMQP relay socket $sock did not appear"
  fi
  if ! pid_runs "$(cat "$pd/relay-ns.pid" 2>/dev/null)" "UNIX-CONNECT:$sock"; then
    setsid nohup nsenter --net="/run/netns/$ns" -- socat TCP-LISTEN:5672,bind=127.0.0.1,reuseaddr,fork \
      "UNIX-CONNECT:$sock" >>"$LOG/python/$ns/relay.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/relay-ns.pid"
  fi
  for ((i = 0; i < 50; i++)); do ns_port_open 5672 "$ns" && break; sleep 0.1; done
  ns_port_open 5672 "$ns" || die "AMQP relay into netns $ns does not answer"
}

py_agents_up() { # [--no-wait]
  local wait=1; [ "${1:-}" = --no-wait ] && wait=0
  local node; node=$(py_node)
  local d=$STATE/python/$node pd=$PIDS/python/$node ld=$LOG/python/$node
  api_ok || die "neutron-server API does not answer: run '$0 up' first"
  [ -s "$CONF/neutron.conf" ] || die "no $CONF/neutron.conf: run '$0 up' first"
  mkdir -p "$d/state" "$d/lock" "$d/run" "$pd" "$ld"
  py_write_node_conf "$node" "$d"
  py_write_ebtables_shim
  py_setup_netns "$node"
  py_start_relays "$node" "$pd" "$d/run"
  local a p started=() launch_utc
  launch_utc=$(date -u '+%Y-%m-%d %H:%M:%S')
  for a in $PY_AGENTS_ALL; do
    p=$(cat "$pd/$a.pid" 2>/dev/null || true)
    if pid_runs "$p" "$(py_bin "$a")"; then log "python $a agent already running (pid $p, host $node)"; continue; fi
    date +%s%3N >"$pd/$a.launch"
    # nsenter --net + private mount ns (propagation unchanged: the agents' netns mounts
    # reach the host) with a sysfs of this netns; setsid: the agent leads its own group
    setsid nohup nsenter --net="/run/netns/$node" -- unshare --mount --propagation unchanged -- \
      /bin/sh -c 'mount --make-rprivate /sys && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys && exec "$@"' sh \
      env PATH="$STATE/bin/override:$PATH" "$(py_bin "$a")" --config-file "$CONF/neutron.conf" \
      --config-file "$CONF/$(py_ini "$a")" --config-file "$d/node.conf" --log-file "$ld/$a.log" \
      >>"$ld/$a.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/$a.pid"
    started+=("$a")
    log "started python $a agent (pid $!, host $node, log $ld/$a.log)"
  done
  [ $wait = 1 ] || return 0
  # every agent must be alive; those started now must have reported start_flag since launch
  local i ok=0 rows want
  want=$(for a in $PY_AGENTS_ALL; do
    if printf '%s\n' "${started[@]:-}" | grep -qx "$a"; then echo "$(py_type "$a")|$launch_utc"; else echo "$(py_type "$a")|"; fi
  done | jq -R 'split("|") | {type: .[0], since: .[1]}' | jq -s .)
  for ((i = 0; i < 180; i++)); do
    rows=$(curl -fsS -m 5 "$(api)/agents?host=$node" 2>/dev/null || echo '{"agents":[]}')
    if echo "$rows" | jq -e --argjson want "$want" \
      '[$want[] as $w | [.agents[] | select(.agent_type == $w.type and .alive and .started_at >= $w.since)] | length > 0] | all' >/dev/null; then
      ok=1; break
    fi
    for a in "${started[@]:-}"; do
      [ -n "$a" ] || continue
      alive "$(cat "$pd/$a.pid")" || { tail -n 20 "$ld/$a.log" "$ld/$a.out" >&2 2>/dev/null; die "python $a agent exited (log $ld/$a.log)"; }
    done
    sleep 0.5
  done
  echo "$rows" | jq -r '.agents[] | "  \(.agent_type)\thost=\(.host)\talive=\(.alive)\tstarted_at=\(.started_at)"' >&2
  [ $ok = 1 ] || die "python agents on $node did not all report alive within 90 s (logs $ld)"
  log "python agents on $node alive (netns $node, logs $ld)"
}

# stop one node: agents (+ their process groups and descendants), dnsmasq/haproxy from
# the node's pid files, the qdhcp-/qrouter- namespaces of what they hosted, relays, the
# node netns, the pid files, and the agents' rows in neutron-server
py_node_down() { # node
  local node=$1 d=$STATE/python/$1 pd=$PIDS/python/$1 ld=$LOG/python/$1
  local a p k f ids="" kin
  local -A hosted=()
  # what the agents host, while their rows still exist
  if api_ok; then
    local rows; rows=$(curl -fsS -m 5 "$(api)/agents?host=$node" 2>/dev/null || echo '{"agents":[]}')
    for id in $(echo "$rows" | jq -r '.agents[] | select(.agent_type == "L3 agent") | .id'); do
      for r in $(curl -fsS -m 5 "$(api)/agents/$id/l3-routers" 2>/dev/null | jq -r '.routers[].id' 2>/dev/null); do hosted[qrouter-$r]=1; done
    done
    for id in $(echo "$rows" | jq -r '.agents[] | select(.agent_type == "DHCP agent") | .id'); do
      for n in $(curl -fsS -m 5 "$(api)/agents/$id/dhcp-networks" 2>/dev/null | jq -r '.networks[].id' 2>/dev/null); do hosted[qdhcp-$n]=1; done
    done
  fi
  for a in $PY_AGENTS_ALL; do
    p=$(cat "$pd/$a.pid" 2>/dev/null || true)
    [ -n "$p" ] || continue
    if pid_runs "$p" "$(py_bin "$a")"; then
      kin="$(descendants "$p") $(pgroup_members "$p")"
      stop_pid "$p" "python $a agent ($node)" 20 group
      # privsep daemons (same process group, reparented) and any other child left behind
      for k in $kin $(pgroup_members "$p"); do
        [ "$k" != "$p" ] && alive "$k" && kill -TERM "$k" 2>/dev/null && log "stopping helper $k of python $a agent"
      done
      sleep 0.3
      for k in $kin $(pgroup_members "$p"); do alive "$k" && kill -KILL "$k" 2>/dev/null; done
    else
      # the agent died earlier: its privsep daemons may still hold its process group; the
      # group id can't have been reused while they live, and they carry our node.conf
      for k in $(pgroup_members "$p"); do
        pid_runs "$k" "$d/node.conf" || continue
        kill -TERM "$k" 2>/dev/null && log "stopping leftover helper $k of dead python $a agent"
        sleep 0.3; alive "$k" && kill -KILL "$k" 2>/dev/null
      done
    fi
    rm -f "$pd/$a.pid" "$pd/$a.launch"
  done
  # dnsmasq (dhcp/<net>/pid) and haproxy (external/pids/*.pid) daemonize: their pid files
  if [ -d "$d/state" ]; then
    for f in "$d"/state/dhcp/*/pid "$d"/state/external/pids/*.pid*; do
      [ -s "$f" ] || continue
      p=$(cat "$f")
      pid_runs "$p" "$d/state" && stop_pid "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-30)" 5
    done
    for f in "$d"/state/dhcp/*/; do [ -d "$f" ] && hosted[qdhcp-$(basename "$f")]=1; done
    for f in "$d"/state/ns-metadata-proxy/*.conf "$d"/state/external/pids/*.pid*; do
      [ -e "$f" ] && hosted[qrouter-$(basename "$f" | cut -c1-36)]=1
    done
  fi
  # namespace ids the agents logged
  for f in "$ld"/*.log; do
    [ -s "$f" ] && for id in $(grep -oE '(qdhcp|qrouter)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$f" | sort -u); do hosted[$id]=1; done
  done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [ -n "${hosted[$ns]:-}" ] || continue
    # anything still inside was started by our agents in their own namespace
    for k in $(ip netns pids "$ns" 2>/dev/null); do alive "$k" && kill -KILL "$k" 2>/dev/null; done
    ip netns del "$ns" && log "deleted netns $ns (created by python agents of $node)"
  done
  for a in relay-ns relay-host; do
    p=$(cat "$pd/$a.pid" 2>/dev/null || true)
    [ -n "$p" ] && pid_runs "$p" socat && stop_pid "$p" "AMQP $a ($node)" 5 group
    rm -f "$pd/$a.pid"
  done
  if [ -e "/run/netns/$node" ]; then
    for k in $(ip netns pids "$node" 2>/dev/null); do
      alive "$k" || continue
      log "WARNING: pid $k ($(tr '\0' ' ' <"/proc/$k/cmdline" | cut -c1-60)) still in netns $node: killing it"
      kill -KILL "$k" 2>/dev/null
    done
    ip netns del "$node" && log "deleted netns $node"
  fi
  # the node's configs and state_path (dnsmasq/haproxy files) are of no use once it is down
  case "$d" in "$STATE"/python/?*) rm -rf "$d" ;; esac
  rmdir "$pd" 2>/dev/null || true
  if api_ok; then
    for id in $(curl -fsS -m 5 "$(api)/agents?host=$node" 2>/dev/null | jq -r '.agents[].id'); do
      curl -fsS -m 10 -X DELETE -o /dev/null "$(api)/agents/$id" && log "deleted agent row $id (host $node)"
    done
  fi
  return 0
}

py_agents_down() { # all nodes, or only NUCLEON_PY_NODE if set
  local node
  if [ -n "${NUCLEON_PY_NODE:-}" ]; then py_node_down "$(py_node)"; return 0; fi
  for node in "$PIDS"/python/*/; do
    [ -d "$node" ] || continue
    py_node_down "$(basename "$node")"
  done
  return 0
}
