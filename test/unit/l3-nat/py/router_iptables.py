#!/usr/bin/python3
"""The iptables state Neutron's legacy L3 agent builds in a router namespace.

Test helper for test/unit/l3-nat: reads JSON on stdin
  {"cases": [{"name", "router": sync_routers router dict, "metadata": bool,
              "ipv6": bool, "random_fully": bool, "conf": {l3 option: value}}]}
and prints JSON {name: {"4": {table: [lines]}, "6": {table: [lines]}}} where the
lines are what IptablesManager._modify_rules makes of an empty table (the
namespace as iptables-save would show it after the agent's first apply).

Drives the real RouterInfo (legacy router) and MetadataDriver rule builders in
the order agent.py runs them: RouterInfo() (address scope + metadata init),
after_router_added's apply_metadata_nat_rules, then process(): external gateway
SNAT rules, floating-IP NAT rules, address scope rules. No kernel: apply() is a
no-op, the interface driver and the agent are mocks. Run with /usr/bin/python3.
"""
import json
import sys
from unittest import mock

# IptablesManager wraps chains with basename(argv[0])[:16], read at import time.
sys.argv[0] = '/usr/bin/neutron-l3-agent'

from oslo_config import cfg  # noqa: E402
from oslo_utils import netutils  # noqa: E402

from neutron.agent.l3 import legacy_router  # noqa: E402
from neutron.agent.linux import iptables_manager  # noqa: E402
from neutron.agent.metadata import driver as metadata_driver  # noqa: E402
from neutron.conf.agent import common as agent_config  # noqa: E402
from neutron.conf.agent.l3 import config as l3_config  # noqa: E402
from neutron.conf import common as base_config  # noqa: E402


def make_conf(overrides):
    conf = cfg.ConfigOpts()
    conf.register_opts(base_config.core_opts)
    l3_config.register_l3_agent_config_opts(l3_config.OPTS, conf)
    agent_config.register_interface_driver_opts_helper(conf)
    agent_config.register_process_monitor_opts(conf)
    conf([], project='neutron', default_config_files=[])
    for k, v in overrides.items():
        conf.set_override(k, v)
    return conf


EMPTY = {
    'filter': ['INPUT', 'FORWARD', 'OUTPUT'],
    'nat': ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    'mangle': ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    'raw': ['PREROUTING', 'OUTPUT'],
}


def empty_table(name):
    return (['*%s' % name] + [':%s ACCEPT [0:0]' % c for c in EMPTY[name]] +
            ['COMMIT'])


def unwrap(f):
    # coordination.synchronized needs a lock backend; the body is what counts.
    return getattr(f, '__wrapped__', f)


def render(case):
    conf = make_conf(case.get('conf', {}))
    iptables_manager.IptablesManager._random_fully = case.get(
        'random_fully', True)
    ipv6 = case.get('ipv6', True)
    router = case['router']
    with mock.patch.object(netutils, 'is_ipv6_enabled', return_value=ipv6), \
            mock.patch.object(iptables_manager.IptablesManager, '_apply',
                              return_value=[]):
        ri = legacy_router.LegacyRouter(
            mock.Mock(), router["id"], router, conf, mock.Mock(DEV_NAME_LEN=14),
            use_ipv6=ipv6)
        ri.iptables_manager._random_fully = case.get('random_fully', True)
        if case.get('metadata', True):
            proxy = mock.Mock(metadata_port=conf.metadata_port,
                              metadata_access_mark=conf.metadata_access_mark)
            proxy.metadata_filter_rules = \
                metadata_driver.MetadataDriver.metadata_filter_rules
            proxy.metadata_nat_rules = \
                metadata_driver.MetadataDriver.metadata_nat_rules
            unwrap(metadata_driver.apply_metadata_nat_rules)(ri, proxy)
        # process_external() without the device work: the gateway SNAT rules,
        # then the floating IPs' NAT rules, then process_address_scope().
        gw = ri.get_ex_gw_port()
        name = ri.get_external_device_name(gw['id']) if gw else None
        ri._handle_router_snat_rules(router.get('gw_port'), name)
        if gw:
            ri.process_floating_ip_nat_rules()
        ri.process_ports_address_scope_iptables()
        ri.process_floating_ip_address_scope_rules()
    out = {}
    im = ri.iptables_manager
    for ver, tables in (('4', im.ipv4), ('6', im.ipv6)):
        if ver == '6' and not ipv6:
            continue
        out[ver] = {}
        for tname in sorted(tables):
            out[ver][tname] = im._modify_rules(
                empty_table(tname), tables[tname], tname)
    return out


def main():
    req = json.load(sys.stdin)
    json.dump({c['name']: render(c) for c in req['cases']}, sys.stdout)


if __name__ == '__main__':
    main()
