#!/usr/bin/env bash
# nucleon interop harness: a real neutron-server (Debian 12 packages, Zed 21.0.0) with
# RabbitMQ and MariaDB on 127.0.0.1, for the interop tests and the local demo.
#
# Usage: test/harness/neutron-server.sh <command> [options]
#   install            only make sure the Debian packages are installed
#   up [--python-agents] [--no-install] [--debug]
#                      idempotent: install missing packages, start RabbitMQ/MariaDB if their
#                      ports are closed, create DB + RabbitMQ vhost, write configs, run
#                      neutron-db-manage once per DB, start neutron-server, wait for the API
#                      and the RPC consumers; prints the API URL and the transport URL.
#                      --python-agents: then start Debian's neutron-linuxbridge/-dhcp/-l3/
#                      -metadata-agent in netns "$NAME-py" (host "$NAME-py") and wait until
#                      all four are alive in GET /v2.0/agents (see layout below)
#   up --python-agents-only [--no-wait]
#                      only the Python agents (neutron-server must already run); --no-wait
#                      returns right after launching them
#   up --python-agents[-only] --ovs-agent [--no-wait]
#                      the node runs a private Open vSwitch (netdev datapath) and Debian's
#                      neutron-openvswitch-agent instead of the four agents above
#   status             exit 0 if neutron-server runs and the API answers, 3 otherwise
#   env                shell-sourceable NUCLEON_TEST_* variables (eval "$(... env)")
#   down [--purge]     stop what `up` started (recorded PIDs only; a RabbitMQ/MariaDB that
#                      was already running is left alone), Python agents included; --purge
#                      also drops the database, the vhost, the state dir and the logs
#   down --python-agents-only
#                      stop only the Python agents (by recorded PID, with the privsep daemons
#                      of their process groups and their dnsmasq/haproxy), delete the
#                      qdhcp-/qrouter- namespaces of what they hosted, their node netns and
#                      their agent rows; neutron-server keeps running
#   e.g. bench:  NUCLEON_PY_NODE=nt1234-py test/harness/neutron-server.sh up --python-agents-only
#                NUCLEON_PY_NODE=nt1234-py test/harness/neutron-server.sh down --python-agents-only
#
# Instances (env): NUCLEON_HARNESS_NAME [nucleon-test] names everything of an instance:
#   state /var/lib/$NAME (etc/ = configs, pids/, state/ = neutron state_path), logs
#   /var/log/$NAME, database + user ${NAME//-/_}, RabbitMQ vhost $NAME. scripts/setup.sh
#   runs a second instance "nucleon-demo". NUCLEON_HARNESS_PORT [9696] is the preferred API
#   port; if it is taken by something else a free port is chosen and remembered.
#   NUCLEON_HARNESS_HOST [$(hostname)] is the `host` written to the agent configs.
#
# Python agents (test/harness/python-agents.sh): NUCLEON_PY_NODE [$NAME-py] names the
#   node: its netns and the agents' `host`. In the netns: py-phys0 (physnet1, veth to
#   py-ext0), py-vtep0 172.31.254.1/24 (VXLAN local_ip), 127.0.0.1:5672 = AMQP relay to the
#   host's RabbitMQ. Configs $CONF/neutron.conf + $CONF/<agent>_agent.ini +
#   $STATE/python/<node>/node.conf (host, state_path $STATE/python/<node>/state, devices);
#   PIDs $PIDS/python/<node>/<agent>.pid (+ .launch, epoch ms), logs $LOG/python/<node>/.
#   `down` without NUCLEON_PY_NODE stops every node recorded there. Note: these agents take
#   part in scheduling (networks/routers without an agent may be auto-scheduled to them).
#   --ovs-agent nodes: ovsdb-server + ovs-vswitchd in the node netns (files under
#   $STATE/python/<node>/ovs, logs beside the agent's), br-ex on py-phys0 (physnet1), the
#   agent with ovsdb_connection on that switch's socket; e.g. bench:
#                NUCLEON_PY_NODE=nt1234-po test/harness/neutron-server.sh up --python-agents-only --ovs-agent
#
# Everything started here is recorded under $STATE/pids; `down` stops only that.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
umask 022

NAME=${NUCLEON_HARNESS_NAME:-nucleon-test}
case "$NAME" in *[!a-z0-9-]*|"") echo "NUCLEON_HARNESS_NAME must match [a-z0-9-]+" >&2; exit 2 ;; esac
STATE=/var/lib/$NAME
CONF=$STATE/etc
PIDS=$STATE/pids
NSTATE=$STATE/state
LOG=/var/log/$NAME
DB_NAME=${NAME//-/_}
DB_USER=$DB_NAME
DB_PASS=${DB_NAME//_/}pw
VHOST=$NAME
RABBIT_CREDS=guest:guest
PREF_PORT=${NUCLEON_HARNESS_PORT:-9696}
AGENT_HOST=${NUCLEON_HARNESS_HOST:-$(hostname)}
PY=/usr/bin/python3
T0=$(date +%s)

PKGS="neutron-server neutron-linuxbridge-agent neutron-openvswitch-agent neutron-l3-agent
neutron-dhcp-agent neutron-metadata-agent python3-pymysql rabbitmq-server mariadb-server
mariadb-client dnsmasq-base dnsmasq-utils haproxy iptables ebtables ipset conntrack
openvswitch-switch iproute2 procps socat curl jq udhcpc sudo nftables iputils-ping isc-dhcp-client
ethtool netcat-openbsd iputils-arping
busybox"

log() { echo "[$NAME $(( $(date +%s) - T0 ))s] $*" >&2; }
die() { echo "[$NAME] ERROR: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# ------------------------------------------------------------------ process helpers
alive() { # pid -> 0 if running (zombies count as stopped: PID 1 here does not reap)
  [ -n "${1:-}" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
recorded_pid() { [ -s "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }
# alive and still the program we started (guards against PID reuse)
pid_is() { # name cmdline-substring
  local p; p=$(recorded_pid "$1") || return 1
  alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$2"
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
stop_pid() { # pid label timeout_s [group]
  local p=$1 label=$2 t=$3 grp=${4:-}
  alive "$p" || return 0
  if [ -n "$grp" ]; then kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
  else kill -TERM "$p" 2>/dev/null; fi
  local i
  for ((i = 0; i < t * 5; i++)); do alive "$p" || break; sleep 0.2; done
  if alive "$p"; then
    if [ -n "$grp" ]; then kill -KILL -- "-$p" 2>/dev/null; fi
    kill -KILL "$p" 2>/dev/null || true
    log "killed $label (pid $p) with SIGKILL after ${t}s"
  else log "stopped $label (pid $p)"; fi
}

# ------------------------------------------------------------------ packages
install_packages() {
  local missing="" p
  for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -z "$missing" ]; then log "Debian packages already installed"; return 0; fi
  need_root
  mkdir -p "$LOG"
  log "installing:$missing"
  # keep the packages' maintainer scripts from starting services (neutron-server with
  # keystone auth on 9696, the Python agents, rabbitmq, mariadb ...)
  local created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, nucleon harness\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; created_policy=1
  fi
  local t rc=0; t=$(date +%s)
  # shellcheck disable=SC2086
  { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } \
    </dev/null >"$LOG/apt-install.log" 2>&1 || rc=$?
  [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ $rc != 0 ]; then tail -30 "$LOG/apt-install.log" >&2; die "apt-get failed (log: $LOG/apt-install.log)"; fi
  log "apt-get install took $(( $(date +%s) - t ))s"
}

# ------------------------------------------------------------------ RabbitMQ / MariaDB
ensure_rabbitmq() {
  if port_open 127.0.0.1 5672; then
    pid_is rabbitmq beam && log "RabbitMQ running (started by this harness)" || log "RabbitMQ already listening on 127.0.0.1:5672 (not ours, left alone)"
  else
    log "starting RabbitMQ (rabbitmq-server -detached)"
    mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
    chown rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq 2>/dev/null || true
    (cd / && rabbitmq-server -detached) >>"$LOG/rabbitmq.out" 2>&1 </dev/null 9>&-
    local i
    for ((i = 0; i < 120; i++)); do port_open 127.0.0.1 5672 && break; sleep 1; done
    port_open 127.0.0.1 5672 || { tail -20 "$LOG/rabbitmq.out" >&2; die "RabbitMQ did not open 127.0.0.1:5672"; }
    local p
    p=$(rabbitmqctl -q eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
    [ -n "$p" ] && echo "$p" >"$PIDS/rabbitmq.pid"
    log "RabbitMQ listening on 127.0.0.1:5672 (beam pid ${p:-?})"
  fi
  # a vhost of our own: neither another neutron-server nor other tests share our queues
  if rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$VHOST"; then :; else
    rabbitmqctl -q add_vhost "$VHOST" >/dev/null || die "rabbitmqctl add_vhost $VHOST failed"
    log "created RabbitMQ vhost $VHOST"
  fi
  rabbitmqctl -q set_permissions -p "$VHOST" "${RABBIT_CREDS%%:*}" '.*' '.*' '.*' >/dev/null \
    || die "rabbitmqctl set_permissions failed"
}

ensure_mariadb() {
  if port_open 127.0.0.1 3306; then
    pid_is mariadb mariadbd && log "MariaDB running (started by this harness)" || log "MariaDB already listening on 127.0.0.1:3306 (not ours, left alone)"
  else
    log "starting MariaDB (start-stop-daemon ... /usr/sbin/mariadbd)"
    mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
    if [ ! -d /var/lib/mysql/mysql ]; then
      mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$LOG/mariadb-install.log" 2>&1
    fi
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$PIDS/mariadb.pid" \
      --exec /usr/sbin/mariadbd 9>&-
    local i
    for ((i = 0; i < 60; i++)); do port_open 127.0.0.1 3306 && break; sleep 1; done
    port_open 127.0.0.1 3306 || die "MariaDB did not open 127.0.0.1:3306"
    log "MariaDB listening on 127.0.0.1:3306"
  fi
  mariadb -uroot <<EOF
CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
EOF
}

# ------------------------------------------------------------------ configs
db_url() { echo "mysql+pymysql://$DB_USER:$DB_PASS@127.0.0.1/$DB_NAME?charset=utf8"; }
transport_url() { echo "rabbit://$RABBIT_CREDS@127.0.0.1:5672/$VHOST"; }
api_port() { cat "$STATE/api_port" 2>/dev/null || echo "$PREF_PORT"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

write_configs() { # debug
  local debug=$1 port; port=$(api_port)
  mkdir -p "$CONF" "$NSTATE" "$STATE/lock"
  cat >"$CONF/neutron.conf" <<EOF
# written by test/harness/neutron-server.sh ($NAME); shared by neutron-server and agents
[DEFAULT]
debug = $debug
use_stderr = False
host = $AGENT_HOST
state_path = $NSTATE
auth_strategy = noauth
core_plugin = ml2
service_plugins = router
allow_overlapping_ips = True
bind_host = 127.0.0.1
bind_port = $port
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
api_paste_config = /etc/neutron/api-paste.ini
transport_url = $(transport_url)
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False
dhcp_agents_per_network = 1
router_distributed = False
l3_ha = False
interface_driver = linuxbridge
# agent_down_time: neutron's default (75 s)

[agent]
report_interval = 30

[database]
connection = $(db_url)

[experimental]
# Zed refuses to load the linuxbridge mechanism driver without this
linuxbridge = True

[oslo_concurrency]
lock_path = $STATE/lock

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 60

[oslo_policy]
policy_file = $CONF/policy.yaml
EOF
  [ -e "$CONF/policy.yaml" ] || echo '{}' >"$CONF/policy.yaml"
  cat >"$CONF/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
# l2population: the agents that report l2_population=True get fdb entries (the others ignore it)
mechanism_drivers = linuxbridge,openvswitch,l2population
extension_drivers = port_security

[ml2_type_flat]
# Any physical network name: every test uses a flat network of its own (a physnet can carry
# only one flat network, so a shared name would make tests collide).
flat_networks = *

[ml2_type_vlan]
network_vlan_ranges = physnet1

[ml2_type_vxlan]
vni_ranges = 1000:1999

[securitygroup]
enable_security_group = True
EOF
  # agent-side templates (Python-agent option names), for the Python agents and as a base
  # for the nucleon agents; tests normally write their own per-test copies
  cat >"$CONF/linuxbridge_agent.ini" <<EOF
[linux_bridge]
physical_interface_mappings = physnet1:${NAME:0:7}-phys0
[vxlan]
enable_vxlan = True
local_ip = 172.31.254.1
l2_population = False
[securitygroup]
enable_security_group = True
firewall_driver = iptables
[agent]
polling_interval = 2
EOF
  cat >"$CONF/openvswitch_agent.ini" <<EOF
[ovs]
integration_bridge = br-int
tunnel_bridge = br-tun
local_ip = 172.31.254.2
bridge_mappings = physnet1:br-ex
[agent]
tunnel_types = vxlan
l2_population = False
[securitygroup]
enable_security_group = True
firewall_driver = openvswitch
EOF
  cat >"$CONF/dhcp_agent.ini" <<EOF
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = True
EOF
  cat >"$CONF/l3_agent.ini" <<EOF
[DEFAULT]
interface_driver = linuxbridge
agent_mode = legacy
EOF
  cat >"$CONF/metadata_agent.ini" <<EOF
[DEFAULT]
nova_metadata_host = 127.0.0.1
nova_metadata_port = 8775
metadata_proxy_shared_secret = $NAME-secret
metadata_workers = 1
EOF
}

# ------------------------------------------------------------------ schema
db_sync() {
  local want have tables
  want="$(db_url) neutron $(dpkg-query -W -f='${Version}' neutron-common 2>/dev/null)"
  have=$(cat "$STATE/db.synced" 2>/dev/null || true)
  tables=$(mariadb -uroot -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$DB_NAME' AND table_name='alembic_version'" 2>/dev/null || echo 0)
  if [ "$have" = "$want" ] && [ "$tables" = 1 ]; then log "database schema already at heads"; return 0; fi
  local t; t=$(date +%s)
  log "running neutron-db-manage upgrade heads (first run: ~30-60 s)"
  neutron-db-manage --config-file "$CONF/neutron.conf" --config-file "$CONF/ml2_conf.ini" \
    upgrade heads >"$LOG/db-manage.log" 2>&1 </dev/null \
    || { tail -30 "$LOG/db-manage.log" >&2; die "neutron-db-manage failed (log: $LOG/db-manage.log)"; }
  echo "$want" >"$STATE/db.synced"
  log "neutron-db-manage upgrade heads took $(( $(date +%s) - t ))s"
}

# ------------------------------------------------------------------ neutron-server
api_ok() { curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$(api_port)/v2.0/networks" 2>/dev/null; }
server_running() { pid_is neutron-server neutron-server; }

rpc_consumers_ok() { # the server's RPC workers consume the topics agents talk to
  local q
  q=$(rabbitmqctl -q -p "$VHOST" list_queues name consumers 2>/dev/null) || return 1
  echo "$q" | awk '$1=="q-plugin" && $2>0 {a=1} $1=="q-reports-plugin" && $2>0 {b=1} END {exit !(a && b)}'
}

start_server() {
  local debug=$1
  if server_running; then
    log "neutron-server already running (pid $(recorded_pid neutron-server))"
  else
    # the configured port must be free: choose another one if something else holds it
    local port; port=$(api_port)
    if port_open 127.0.0.1 "$port"; then
      local np; np=$(free_port)
      log "port $port is taken by something else; using $np"
      echo "$np" >"$STATE/api_port"
      write_configs "$debug"
    else
      echo "$port" >"$STATE/api_port"
    fi
    setsid nohup /usr/bin/neutron-server --config-file "$CONF/neutron.conf" \
      --config-file "$CONF/ml2_conf.ini" --log-file "$LOG/neutron-server.log" \
      >>"$LOG/neutron-server.out" 2>&1 </dev/null 9>&- &
    echo $! >"$PIDS/neutron-server.pid"
    log "started neutron-server (pid $!) on 127.0.0.1:$(api_port)"
  fi
  local i
  for ((i = 0; i < 180; i++)); do api_ok && break; server_running || break; sleep 1; done
  if ! api_ok; then
    tail -n 30 "$LOG/neutron-server.log" "$LOG/neutron-server.out" >&2 2>/dev/null || true
    server_running && die "neutron-server API does not answer after 180 s" || die "neutron-server exited"
  fi
  log "API answers on http://127.0.0.1:$(api_port)/v2.0"
  for ((i = 0; i < 60; i++)); do rpc_consumers_ok && break; sleep 1; done
  rpc_consumers_ok && log "RPC consumers on q-plugin and q-reports-plugin are up" \
    || log "WARNING: no consumers on q-plugin/q-reports-plugin yet (vhost $VHOST)"
}

# Python agents in a node netns: test/harness/python-agents.sh (py_agents_up/py_agents_down)
# shellcheck source=test/harness/python-agents.sh
. "$(dirname "${BASH_SOURCE[0]}")/python-agents.sh"

print_env() {
  [ -s "$CONF/neutron.conf" ] || die "not configured yet: run '$0 up' first"
  cat <<EOF
NUCLEON_TEST_API=http://127.0.0.1:$(api_port)/v2.0
NUCLEON_TEST_TRANSPORT_URL=$(transport_url)
NUCLEON_TEST_CONF_DIR=$CONF
NUCLEON_TEST_STATE_DIR=$STATE
NUCLEON_TEST_LOG_DIR=$LOG
NUCLEON_TEST_DB_URL='$(db_url)'
NUCLEON_TEST_AGENT_HOST=$AGENT_HOST
export NUCLEON_TEST_API NUCLEON_TEST_TRANSPORT_URL NUCLEON_TEST_CONF_DIR NUCLEON_TEST_STATE_DIR NUCLEON_TEST_LOG_DIR NUCLEON_TEST_DB_URL NUCLEON_TEST_AGENT_HOST
EOF
}

lock() { mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock -w 600 9 || die "could not lock $STATE/.lock"; }

# ------------------------------------------------------------------ commands
cmd_up() {
  local py=0 install=1 debug=False a pyonly=0 pyopts=()
  for a in "$@"; do
    case "$a" in
      --python-agents) py=1 ;;
      --python-agents-only) pyonly=1 ;;
      --no-wait|--ovs-agent) pyopts+=("$a") ;;
      --no-install) install=0 ;;
      --debug) debug=True ;;
      *) die "up: unknown option $a" ;;
    esac
  done
  need_root
  if [ $pyonly = 1 ]; then lock; py_agents_up "${pyopts[@]}"; return; fi
  [ $install = 1 ] && install_packages
  lock
  mkdir -p "$PIDS" "$LOG" "$CONF"
  ensure_rabbitmq
  ensure_mariadb
  write_configs "$debug"
  db_sync
  start_server "$debug"
  log "up in $(( $(date +%s) - T0 ))s"
  echo "API:       http://127.0.0.1:$(api_port)/v2.0   (noauth: no token)"
  echo "Transport: $(transport_url)"
  echo "Configs:   $CONF   Logs: $LOG"
  if [ $py = 1 ]; then py_agents_up "${pyopts[@]}"; fi
}

cmd_down() {
  local purge=0 pyonly=0 a
  for a in "$@"; do
    case "$a" in
      --purge) purge=1 ;;
      --python-agents-only) pyonly=1 ;;
      *) die "down: unknown option $a" ;;
    esac
  done
  need_root
  [ -d "$STATE" ] || { log "nothing to stop ($STATE absent)"; return 0; }
  lock
  local p
  # Python agent nodes first (their agent rows are deleted through the API)
  py_agents_down
  if [ $pyonly = 1 ]; then log "python agents down; neutron-server left running"; return 0; fi
  if server_running; then
    stop_pid "$(recorded_pid neutron-server)" neutron-server 30 group
  fi
  rm -f "$PIDS/neutron-server.pid"
  if [ $purge = 1 ]; then
    if port_open 127.0.0.1 3306 && mariadb -uroot -e "DROP DATABASE IF EXISTS $DB_NAME; DROP USER IF EXISTS '$DB_USER'@'localhost'; DROP USER IF EXISTS '$DB_USER'@'127.0.0.1'" 2>/dev/null; then
      log "dropped database and user $DB_NAME"
    else log "WARNING: could not drop database $DB_NAME (MariaDB not reachable)"; fi
    if port_open 127.0.0.1 5672 && rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$VHOST"; then
      rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 && log "deleted RabbitMQ vhost $VHOST"
    fi
  fi
  # services this harness started itself (never one it found running)
  if pid_is mariadb mariadbd; then
    start-stop-daemon --stop --quiet --pidfile "$PIDS/mariadb.pid" --retry TERM/60/KILL/5 >/dev/null 2>&1 || true
    log "stopped MariaDB (started by this harness)"
  fi
  rm -f "$PIDS/mariadb.pid"
  if pid_is rabbitmq beam; then
    p=$(recorded_pid rabbitmq)
    rabbitmqctl -q shutdown >/dev/null 2>&1 || true
    stop_pid "$p" RabbitMQ 60
  fi
  rm -f "$PIDS/rabbitmq.pid"
  if [ $purge = 1 ]; then
    exec 9>&-
    rm -rf "$STATE" "$LOG"
    log "purged $STATE and $LOG"
  fi
  log "down"
}

cmd_status() {
  if server_running && api_ok; then
    echo "neutron-server running (pid $(recorded_pid neutron-server)), API http://127.0.0.1:$(api_port)/v2.0, transport $(transport_url)"
    return 0
  fi
  if server_running; then echo "neutron-server running (pid $(recorded_pid neutron-server)) but the API does not answer"
  else echo "neutron-server not running"; fi
  return 3
}

cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
  install) install_packages ;;
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  env) print_env ;;
  -h|--help|help) sed -n 2,54p "$0" ;;
  *) sed -n 2,54p "$0" >&2; exit 2 ;;
esac
