# shellcheck shell=bash
# Sourced by test/harness/neutron-server.sh: Debian's Python agents in a node namespace of
# their own, for side-by-side runs against nucleon. A node is one of two kinds:
#   linuxbridge (default)  neutron-linuxbridge/-dhcp/-l3/-metadata-agent
#   ovs (--ovs-agent)      a private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace
#                          "netdev" datapath: there is no openvswitch kernel module) and
#                          neutron-openvswitch-agent, nothing else (two L2 agents on one
#                          host would fight over the port bindings)
# The kind is recorded at the first `up` ($PIDS/python/<node>/kind); a later `up` of the
# same node without --ovs-agent keeps it, one asking for the other kind is refused.
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
#                       relay-host.pid, relay-ns.pid, kind; ovs nodes: ovsdb-server.pid,
#                       ovs-vswitchd.pid
#   logs                $LOG/python/<node>/<agent>.log (+ <agent>.out: stdout/stderr);
#                       ovs nodes: ovsdb-server.log, ovs-vswitchd.log (+ .out)
#   ovs nodes           $STATE/python/<node>/ovs/{conf.db,run/} (OVS_RUNDIR: db.sock,
#                       <bridge>.mgmt, unixctl sockets); bridges br-ex (datapath netdev,
#                       port py-phys0 = physnet1), br-int/br-tun (made by the agent).
#                       node.conf adds [ovs] datapath_type=netdev, ovsdb_connection =
#                       unix:<run>/db.sock, of_listen_address 127.0.0.1 with a port chosen
#                       per node (ovs-of-port), firewall_driver openvswitch, tunnel_types vxlan.
# Agents run under nsenter --net plus a private mount namespace with a fresh /sys (mount
# propagation unchanged), so the qdhcp-*/qrouter-* namespaces they create show up on the
# host; iptables/ebtables/sysctls they touch are the node namespace's. The OVS daemons run
# the same way (vswitchd reads the node's /sys) with OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR set;
# the openvswitch agent gets that OVS_RUNDIR too, so the plain `ovs-vsctl`, `ovs-ofctl` and
# `ovs-appctl` it runs reach this node's switch and never a system one.
# Everything they spawn stays in the agent's process group (privsep daemons fork away
# from their parent but keep the group; the openvswitch agent's `ovsdb-client monitor`
# is its child) except dnsmasq/haproxy, which daemonize and are found through the pid
# files under the node's state_path. ovsdb-server/ovs-vswitchd lead groups of their own.

PY_AGENTS_ALL="linuxbridge dhcp l3 metadata"
PY_AGENTS_OVS="openvswitch"
# every agent a node of either kind may run (down stops whatever has a pid file)
PY_AGENTS_ANY="$PY_AGENTS_ALL $PY_AGENTS_OVS"
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
    openvswitch) echo "Open vSwitch agent" ;;
  esac
}
# the agents a node of this kind (linuxbridge|ovs) runs
py_agents_of() { # kind
  if [ "$1" = ovs ]; then echo "$PY_AGENTS_OVS"; else echo "$PY_AGENTS_ALL"; fi
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

py_write_node_conf() { # node dir kind
  local node=$1 d=$2 kind=$3
  {
    cat <<EOF
# written by test/harness/neutron-server.sh up --python-agents (node $node, kind $kind); passed last
[DEFAULT]
host = $node
state_path = $d/state

[agent]
# the agents run as root: commands run directly; this only starts the privsep daemons
root_helper = neutron-rootwrap /etc/neutron/rootwrap.conf
EOF
    if [ "$kind" = ovs ]; then
      # of_listen_port: the agent's OpenFlow controller listens inside the node netns, where
      # any port is free, but a port of its own per node keeps nodes apart should two ever
      # share a namespace (or a nucleon agent run next to this one)
      cat <<EOF
tunnel_types = vxlan
l2_population = False

[ovs]
datapath_type = netdev
# without it the agent talks to tcp:127.0.0.1:6640 and, when that fails, makes the switch
# listen there (a Manager row): point it at this node's own socket instead
ovsdb_connection = unix:$d/ovs/run/db.sock
of_listen_address = 127.0.0.1
of_listen_port = $(cat "$PIDS/python/$node/ovs-of-port")
integration_bridge = br-int
tunnel_bridge = br-tun
local_ip = $PY_VTEP_IP
bridge_mappings = physnet1:br-ex

[securitygroup]
enable_security_group = True
firewall_driver = openvswitch
EOF
    fi
    cat <<EOF

[oslo_concurrency]
lock_path = $d/lock
EOF
    if [ "$kind" != ovs ]; then
      cat <<EOF

[linux_bridge]
physical_interface_mappings = physnet1:$PY_DEV_PHYS

[vxlan]
enable_vxlan = True
local_ip = $PY_VTEP_IP
l2_population = False
EOF
    fi
  } >"$d/node.conf"
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

# run-inside-the-node prefix (PY_WRAP): its network namespace, a private mount namespace
# keeping shared propagation (netns mounts made inside reach the host) and a /sys showing
# the node's links; every command then execs, so the recorded PID is the daemon's own
py_wrap() { # node
  PY_WRAP=(nsenter --net="/run/netns/$1" -- unshare --mount --propagation unchanged --
    /bin/sh -c 'mount --make-rprivate /sys && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys && exec "$@"' sh)
}
# OVS_* for the node's switch: ovs-vsctl/-ofctl/-appctl without --db/-t find it through these
py_ovs_env() { # dir logs-dir
  PY_OVS_ENV=(OVS_RUNDIR="$1/ovs/run" OVS_DBDIR="$1/ovs" OVS_LOGDIR="$2" OVS_SYSCONFDIR="$1/ovs")
}

# A switch of the node's own: ovsdb-server + ovs-vswitchd in the node netns (no --detach: we
# record $! and they lead groups of their own; like every daemon here they linger as zombies
# once stopped, since PID 1 does not reap), br-ex with py-phys0 for physnet1.
# Quirk (shared/design/KERNEL.md §1): no openvswitch kernel module, so only netdev bridges
# work; a system-datapath bridge is committed anyway and ovs-vsctl still exits 0.
py_start_ovs() { # node dir pids-dir logs-dir
  local ns=$1 d=$2 pd=$3 ld=$4 i
  local od=$d/ovs sock=$2/ovs/run/db.sock
  local vs=(ovs-vsctl --db="unix:$sock")
  mkdir -p "$od/run"
  [ -s "$pd/ovs-of-port" ] || free_port >"$pd/ovs-of-port"
  [ -e "$od/conf.db" ] || ovsdb-tool create "$od/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  py_wrap "$ns"; py_ovs_env "$d" "$ld"
  if ! pid_runs "$(cat "$pd/ovsdb-server.pid" 2>/dev/null)" "$od/conf.db"; then
    rm -f "$sock"
    setsid nohup "${PY_WRAP[@]}" env "${PY_OVS_ENV[@]}" ovsdb-server "$od/conf.db" --remote="punix:$sock" \
      --remote=db:Open_vSwitch,Open_vSwitch,manager_options --pidfile="$od/run/ovsdb-server.pid" \
      --log-file="$ld/ovsdb-server.log" --no-chdir >>"$ld/ovsdb-server.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/ovsdb-server.pid"
    log "started ovsdb-server (pid $!, node $ns, db $od/conf.db)"
  fi
  # `init` first: every other ovs-vsctl command blocks until the Open_vSwitch row exists
  for ((i = 0; i < 50; i++)); do
    [ -S "$sock" ] && "${vs[@]}" --timeout=2 --no-wait init 2>/dev/null && break
    alive "$(cat "$pd/ovsdb-server.pid")" || { tail -n 20 "$ld/ovsdb-server.out" "$ld/ovsdb-server.log" >&2 2>/dev/null; die "ovsdb-server of $ns exited"; }
    sleep 0.2
  done
  "${vs[@]}" --timeout=2 --no-wait init || die "ovsdb-server of $ns does not answer on $sock"
  if ! pid_runs "$(cat "$pd/ovs-vswitchd.pid" 2>/dev/null)" "unix:$sock"; then
    setsid nohup "${PY_WRAP[@]}" env "${PY_OVS_ENV[@]}" ovs-vswitchd "unix:$sock" \
      --pidfile="$od/run/ovs-vswitchd.pid" --log-file="$ld/ovs-vswitchd.log" --no-chdir \
      >>"$ld/ovs-vswitchd.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/ovs-vswitchd.pid"
    log "started ovs-vswitchd (pid $!, node $ns, netdev datapath)"
  fi
  # `init` without --no-wait returns once vswitchd has applied the database (ovs-vsctl 3.1
  # has no `sync`): the switch is up and has published datapath_types/iface_types
  "${vs[@]}" --timeout=30 init || { tail -n 20 "$ld/ovs-vswitchd.out" "$ld/ovs-vswitchd.log" >&2 2>/dev/null; die "ovs-vswitchd of $ns did not come up"; }
  "${vs[@]}" --timeout=10 -- --may-exist add-br br-ex -- set Bridge br-ex datapath_type=netdev \
    -- --may-exist add-port br-ex "$PY_DEV_PHYS" || die "could not create br-ex on $ns"
}

# stops the node's switch (vswitchd first: it closes its ports while the db is there)
py_stop_ovs() { # node dir pids-dir
  local node=$1 d=$2 pd=$3 a p
  for a in ovs-vswitchd ovsdb-server; do
    p=$(cat "$pd/$a.pid" 2>/dev/null || true)
    [ -n "$p" ] && pid_runs "$p" "$d/ovs/" && stop_pid "$p" "$a ($node)" 10 group
    rm -f "$pd/$a.pid"
  done
  rm -f "$pd/ovs-of-port"
}

py_agents_up() { # [--no-wait] [--ovs-agent]
  local wait=1 ask="" a
  for a in "$@"; do
    case "$a" in --no-wait) wait=0 ;; --ovs-agent) ask=ovs ;; *) die "py_agents_up: unknown option $a" ;; esac
  done
  local node; node=$(py_node)
  local d=$STATE/python/$node pd=$PIDS/python/$node ld=$LOG/python/$node
  api_ok || die "neutron-server API does not answer: run '$0 up' first"
  [ -s "$CONF/neutron.conf" ] || die "no $CONF/neutron.conf: run '$0 up' first"
  mkdir -p "$d/state" "$d/lock" "$d/run" "$pd" "$ld"
  # the node's kind: as recorded (a node from before kinds, with agents, is linuxbridge)
  local kind; kind=$(cat "$pd/kind" 2>/dev/null || true)
  if [ -z "$kind" ] && compgen -G "$pd/*.pid" >/dev/null; then kind=linuxbridge; fi
  [ -n "$kind" ] || kind=${ask:-linuxbridge}
  [ -z "$ask" ] || [ "$ask" = "$kind" ] || die "python node $node runs the $kind agents: 'down --python-agents-only' it first or choose another NUCLEON_PY_NODE"
  echo "$kind" >"$pd/kind"
  local agents_here; agents_here=$(py_agents_of "$kind")
  py_setup_netns "$node"
  py_start_relays "$node" "$pd" "$d/run"
  local extra_env=()
  if [ "$kind" = ovs ]; then
    py_start_ovs "$node" "$d" "$pd" "$ld"
    py_ovs_env "$d" "$ld"; extra_env=("${PY_OVS_ENV[@]}")
  else
    py_write_ebtables_shim
  fi
  py_write_node_conf "$node" "$d" "$kind"
  py_wrap "$node"
  local p started=() launch_utc
  launch_utc=$(date -u '+%Y-%m-%d %H:%M:%S')
  for a in $agents_here; do
    p=$(cat "$pd/$a.pid" 2>/dev/null || true)
    if pid_runs "$p" "$(py_bin "$a")"; then log "python $a agent already running (pid $p, host $node)"; continue; fi
    date +%s%3N >"$pd/$a.launch"
    # PY_WRAP (nsenter --net + private mount ns with the node's sysfs; propagation unchanged,
    # so the agents' netns mounts reach the host); setsid: the agent leads its own group
    setsid nohup "${PY_WRAP[@]}" env PATH="$STATE/bin/override:$PATH" "${extra_env[@]}" "$(py_bin "$a")" \
      --config-file "$CONF/neutron.conf" --config-file "$CONF/$(py_ini "$a")" --config-file "$d/node.conf" \
      --log-file "$ld/$a.log" >>"$ld/$a.out" 2>&1 </dev/null 9>&- &
    echo $! >"$pd/$a.pid"
    started+=("$a")
    log "started python $a agent (pid $!, host $node, log $ld/$a.log)"
  done
  [ $wait = 1 ] || return 0
  # every agent must be alive; those started now must have reported start_flag since launch
  local i ok=0 rows want
  want=$(for a in $agents_here; do
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
  for a in $PY_AGENTS_ANY; do
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
      # group id can't have been reused while they live, and they carry our node dir
      # (privsep: node.conf; ovsdb-client monitor: the node's db.sock)
      for k in $(pgroup_members "$p"); do
        pid_runs "$k" "$d/" || continue
        kill -TERM "$k" 2>/dev/null && log "stopping leftover helper $k of dead python $a agent"
        sleep 0.3; alive "$k" && kill -KILL "$k" 2>/dev/null
      done
    fi
    rm -f "$pd/$a.pid" "$pd/$a.launch"
  done
  # ovs nodes: the switch, once its agent is gone
  py_stop_ovs "$node" "$d" "$pd"
  rm -f "$pd/kind"
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
  # an openvswitch agent's tunnel_sync left a VXLAN endpoint (local_ip, host) that deleting
  # its agent row does not remove (there is no API for it): every other OVS agent would keep
  # building a tunnel to it. The node name is [a-z0-9-]+ (py_node).
  if port_open 127.0.0.1 3306 && mariadb -uroot -N "$DB_NAME" -e "DELETE FROM ml2_vxlan_endpoints WHERE host = '$node'; SELECT ROW_COUNT()" 2>/dev/null | grep -qvx 0; then
    log "deleted the VXLAN endpoint of host $node"
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
