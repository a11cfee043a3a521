/**
 * The L3 agent's NAT port: a router's rules rendered from the validated router and
 * applied with one iptables-restore per family (agents/l3/nat). Conntrack entries of
 * floating IPs that went away are deleted there, so a disassociated FIP stops at once.
 */
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import type { NatPort } from './agent.js';
import type { Router } from './model.js';
import { RouterNat, natInputFromRouter, renderRouterNat, type RouterMetadataNat } from './nat/index.js';

export function routerNatPort(runner: CommandRunner, metadata: RouterMetadataNat): NatPort {
  const nat = new RouterNat({ runner });
  return {
    async apply(router: Router, netns: string): Promise<void> {
      // IPv4 only: router interfaces are IPv4 in this release (see model.ts).
      await nat.apply(renderRouterNat(natInputFromRouter(router, metadata, { ipv6: false })), netns);
    },
  };
}
