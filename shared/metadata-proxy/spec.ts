/** The supervised process of one metadata proxy (haproxy per qdhcp network / qrouter router). */
import type { SupervisedProcessSpec } from '../process/types.js';
import { haproxyArgv, type MetadataResource } from './haproxy.js';

export interface MetadataProxySpecInput {
  resource: MetadataResource;
  /** From {@link haproxyConfigPath}. */
  confPath: string;
  /** From {@link haproxyPidFile}; also the `pidfile` in the rendered config. */
  pidFile: string;
  /** `qdhcp-<network_id>` or `qrouter-<router_id>`. */
  netns: string;
  logFile?: string;
}

/**
 * `haproxy:<uuid>`: haproxy runs with `daemon` and writes the pid file named in its
 * config, so the supervisor reads that. The marker is the uuid, found in the config
 * path on the cmdline.
 */
export function metadataProxySpec(i: MetadataProxySpecInput): SupervisedProcessSpec {
  return {
    id: `haproxy:${i.resource.id}`,
    argv: haproxyArgv(i.confPath),
    netns: i.netns,
    pidFile: i.pidFile,
    marker: i.resource.id,
    daemonizes: true,
    ...(i.logFile !== undefined ? { logFile: i.logFile } : {}),
  };
}
