/**
 * The L3 interop tests' API scenario, made once: an external flat network on `physnet`
 * (198.51.100.0/24, gateway .1, pool .100-.200), a tenant network and subnet
 * (<prefix>.0/24, gateway <prefix>.1, no DHCP), a legacy router with that gateway and an
 * interface on the subnet, scheduled to the L3 agent of `host`, and a compute port for
 * the VM at <prefix>.11 (port security off). Every object goes into `created`, in
 * creation order, for the test's cleanup; plugging the VM is the test's own business.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { testName } from './names.js';
import { neutronApi } from './neutron.js';

const run = promisify(execFile);

export interface RouterScenario {
  extNetId: string;
  tenantNetId: string;
  subnetId: string;
  routerId: string;
  /** The VM's port (fixed IP <prefix>.11). */
  vmPort: { id: string; mac_address: string };
  /** The router's address on the external network. */
  gwIp: string;
}

export interface RouterScenarioOptions {
  project: string;
  physnet: string;
  /** The L3 agent's host: the router is scheduled to it. */
  host: string;
  /** First three octets of the tenant subnet, e.g. '10.85.0'. */
  tenantPrefix: string;
  /** Name stem of the objects (testName adds the run prefix). */
  stem: string;
  created: Array<{ kind: string; id: string }>;
}

export async function createRouterScenario(o: RouterScenarioOptions): Promise<RouterScenario> {
  const { project, created } = o;
  const en = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(`${o.stem}ext`), project_id: project, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': o.physnet } });
  const extNetId = en.network.id;
  created.push({ kind: 'networks', id: extNetId });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: extNetId, ip_version: 4, cidr: '198.51.100.0/24', gateway_ip: '198.51.100.1', enable_dhcp: false, allocation_pools: [{ start: '198.51.100.100', end: '198.51.100.200' }], project_id: project } });
  const tn = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(`${o.stem}int`), project_id: project } });
  created.push({ kind: 'networks', id: tn.network.id });
  const sn = await neutronApi<{ subnet: { id: string } }>('/subnets', 'POST', { subnet: { network_id: tn.network.id, ip_version: 4, cidr: `${o.tenantPrefix}.0/24`, gateway_ip: `${o.tenantPrefix}.1`, enable_dhcp: false, project_id: project } });
  const r = await neutronApi<{ router: { id: string } }>('/routers', 'POST', { router: { name: testName(`${o.stem}r`), project_id: project, external_gateway_info: { network_id: extNetId } } });
  const routerId = r.router.id;
  created.push({ kind: 'routers', id: routerId });
  await neutronApi(`/routers/${routerId}/add_router_interface`, 'PUT', { subnet_id: sn.subnet.id });
  const agents = await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${o.host}&agent_type=L3%20agent`);
  await neutronApi(`/agents/${agents.agents[0]!.id}/l3-routers`, 'POST', { router_id: routerId });
  const p = await neutronApi<{ port: { id: string; mac_address: string } }>('/ports', 'POST', { port: { network_id: tn.network.id, project_id: project, 'binding:host_id': o.host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), port_security_enabled: false, fixed_ips: [{ subnet_id: sn.subnet.id, ip_address: `${o.tenantPrefix}.11` }] } });
  created.push({ kind: 'ports', id: p.port.id });
  const router = await neutronApi<{ router: { external_gateway_info: { external_fixed_ips: Array<{ ip_address: string }> } } }>(`/routers/${routerId}`);
  return { extNetId, tenantNetId: tn.network.id, subnetId: sn.subnet.id, routerId, vmPort: p.port, gwIp: router.router.external_gateway_info.external_fixed_ips[0]!.ip_address };
}

/**
 * A TCP listener on 198.51.100.1:5555 in the external namespace that records the source
 * address of each connection: what SNAT or a floating IP made of the VM's address.
 */
export class SourceAddressListener {
  private readonly seen: string[] = [];
  private readonly proc: ChildProcess;

  constructor(private readonly extNetns: string) {
    this.proc = spawn('ip', ['netns', 'exec', extNetns, 'node', '-e', "require('net').createServer((s)=>{console.log(s.remoteAddress);s.end()}).listen(5555,'198.51.100.1')"], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.stdout?.on('data', (b: Buffer) => { for (const l of b.toString().split('\n').filter(Boolean)) this.seen.push(l.replace('::ffff:', '')); });
  }

  /** Connects from `vmNetns` and returns the source address the listener saw, if any. */
  async sourceSeenFrom(vmNetns: string): Promise<string | undefined> {
    const before = this.seen.length;
    await run('ip', ['netns', 'exec', vmNetns, 'busybox', 'nc', '-w', '2', '198.51.100.1', '5555']).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    return this.seen.length > before ? this.seen[this.seen.length - 1] : undefined;
  }

  stop(): void {
    this.proc.kill();
  }
}
