/**
 * Runs Debian's oslo.config (with Neutron's own option registrations) on the
 * same argv and files as our loader and returns the values it resolves, so
 * tests can compare semantics. Needs /usr/bin/python3 with python3-neutron.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

export interface ProbeOpt {
  group: string;
  name: string;
  /** Pass the ListOpt through neutron_lib's parse_mappings, as the L2 agents do. */
  mappings?: boolean;
}

export interface CustomOpt {
  group: string;
  name: string;
  type: 'str' | 'int' | 'bool' | 'float' | 'port' | 'list' | 'dict' | 'multistr' | 'ip' | 'host';
  default?: unknown;
  deprecated_group?: string;
  deprecated_name?: string;
}

export interface ProbeSpec {
  /** Register the options this Neutron agent registers. */
  agent?: 'dhcp' | 'l3' | 'linuxbridge' | 'ovs' | 'metadata';
  /** Or register these. */
  custom?: CustomOpt[];
  /** One oslo parse per argv, in one Python process. */
  runs: string[][];
  opts: ProbeOpt[];
}

export type ProbeValue = { value: unknown } | { error: string } | { missing: true };

export function pythonAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import oslo_config, neutron'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One result per `spec.runs` entry: "group.name" → value, error or missing. */
export function probe(spec: ProbeSpec): Array<Record<string, ProbeValue>> {
  const out = execFileSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(spec), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return JSON.parse(out) as Array<Record<string, ProbeValue>>;
}

const SCRIPT = String.raw`
import json, sys, warnings, logging
warnings.simplefilter('ignore')
logging.disable(logging.CRITICAL)
from oslo_config import cfg
spec = json.load(sys.stdin)
conf = cfg.CONF

def register_common():
    import oslo_messaging
    from oslo_messaging import transport
    from oslo_messaging.rpc import client
    from oslo_messaging._drivers import impl_rabbit, amqp
    from oslo_log import log as oslo_log
    from neutron.common import config as common_config
    oslo_log.register_options(conf)
    conf.register_opts(transport._transport_opts)
    conf.register_opts(client._client_opts)
    conf.register_opts(impl_rabbit.rabbit_opts, group='oslo_messaging_rabbit')
    conf.register_opts(amqp.amqp_opts, group='oslo_messaging_rabbit')
    oslo_messaging.set_transport_defaults(control_exchange='neutron')
    common_config.register_common_config_options()
    from neutron.conf.agent import common as ac
    ac.register_agent_state_opts_helper(conf)
    ac.register_root_helper(conf)
    ac.register_interface_driver_opts_helper(conf)
    ac.register_availability_zone_opts_helper(conf)
    from neutron.conf import service as service_conf
    service_conf.register_service_opts(service_conf.RPC_EXTRA_OPTS, conf)

agent = spec.get('agent')
if agent:
    register_common()
if agent in ('dhcp', 'l3'):
    # Loading the interface driver (load_interface_driver, any alias) imports
    # neutron.agent.linux.interface -> ovs_lib, which registers the [ovs] OVSDB options.
    import neutron.agent.linux.interface
if agent == 'dhcp':
    from neutron.agent import dhcp_agent
    dhcp_agent.register_options(conf)
elif agent == 'l3':
    from neutron.agent import l3_agent
    from neutron.conf.agent import agent_extensions_manager as aem, common as ac
    l3_agent.register_opts(conf)
    aem.register_agent_ext_manager_opts(conf)
    ac.register_iptables_opts(conf)
elif agent == 'linuxbridge':
    import neutron.plugins.ml2.drivers.linuxbridge.agent.linuxbridge_neutron_agent  # registers on import
elif agent == 'ovs':
    import neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent  # registers on import
    from neutron.conf.agent import ovs_conf, ovsdb_api, agent_extensions_manager as aem
    from neutron.conf.plugins.ml2.drivers import agent as l2agent
    from neutron.conf.agent import securitygroups_rpc as sg
    for f in (ovs_conf.register_ovs_agent_opts, ovsdb_api.register_ovsdb_api_opts, aem.register_agent_ext_manager_opts, l2agent.register_agent_opts, sg.register_securitygroups_opts):
        try:
            f(conf)
        except cfg.DuplicateOptError:
            pass
elif agent == 'metadata':
    from neutron.conf.agent.metadata import config as meta
    from neutron.common import cache_utils as cache
    meta.register_meta_conf_opts(meta.SHARED_OPTS)
    meta.register_meta_conf_opts(meta.UNIX_DOMAIN_METADATA_PROXY_OPTS)
    meta.register_meta_conf_opts(meta.METADATA_PROXY_HANDLER_OPTS)
    cache.register_oslo_configs(conf)

TYPES = {'str': cfg.StrOpt, 'int': cfg.IntOpt, 'bool': cfg.BoolOpt, 'float': cfg.FloatOpt, 'port': cfg.PortOpt,
         'list': cfg.ListOpt, 'dict': cfg.DictOpt, 'multistr': cfg.MultiStrOpt, 'ip': cfg.IPOpt, 'host': cfg.HostAddressOpt}
for o in spec.get('custom') or []:
    kw = {}
    for k in ('default', 'deprecated_group', 'deprecated_name'):
        if k in o:
            kw[k] = o[k]
    conf.register_opt(TYPES[o['type']](o['name'], **kw), group=None if o['group'] == 'DEFAULT' else o['group'])

results = []
for argv in spec['runs']:
    conf(argv, project='neutron', prog='nucleon-probe', default_config_files=[], default_config_dirs=[])

    from neutron_lib.utils import helpers
    def lookup(group, name):
        if group == 'DEFAULT':
            conf._get_opt_info(name, None)
            return conf._get(name)
        for g in (group, group.upper(), group.lower()):
            try:
                conf._get_opt_info(name, g)
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                continue
            return conf._get(name, group=conf._get_group(g))
        raise KeyError(name)

    out = {}
    for o in spec['opts']:
        key = o['group'] + '.' + o['name']
        try:
            v = lookup(o['group'], o['name'])
        except (KeyError, cfg.NoSuchOptError, cfg.NoSuchGroupError) as e:
            if isinstance(e, cfg.NoSuchOptError) and e.opt_name != o['name']:
                out[key] = {'error': str(e)}
            else:
                out[key] = {'missing': True}
            continue
        except Exception as e:
            out[key] = {'error': '%s: %s' % (type(e).__name__, e)}
            continue
        if o.get('mappings'):
            try:
                v = helpers.parse_mappings(v)
            except ValueError as e:
                out[key] = {'error': str(e)}
                continue
        out[key] = {'value': v}

    results.append(out)
def finite(v):
    # JSON has no Infinity: 1e999 parses to it in JavaScript.
    if isinstance(v, float) and v in (float('inf'), float('-inf')):
        return {'__float__': 'inf' if v > 0 else '-inf'}
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [finite(x) for x in v]
    return v
print(json.dumps(finite(results)).replace('{"__float__": "inf"}', '1e999').replace('{"__float__": "-inf"}', '-1e999'))
`;
