#!/usr/bin/env node
/**
 * nucleon-metadata-agent: drop-in for neutron-metadata-agent.
 * Wiring only: config → get_ports client on q-plugin → metadata service on the
 * unix socket (lookup cache, signed forwarding to Nova) → report_state (call while
 * start_flag, then cast), started after the socket listens, as Python does.
 */
import { MetadataAgentSchema } from '../../shared/config/index.js';
import { bootAgent, runAgent, runMain, StartupError } from '../../shared/agent/boot.js';
import { AGENT_KINDS, SERVER_TOPICS } from '../../shared/agent/constants.js';
import { metadataConfigurations } from '../../shared/agent/configurations.js';
import { metrics } from '../../shared/control/index.js';
import { OsloRpcClient } from '../../shared/rpc/index.js';
import { MetadataPluginApi } from './plugin-api.js';
import { metadataProvider } from './provider.js';
import { createMetadataService, type MetadataService } from './service.js';

runMain(AGENT_KINDS.metadata.daemon, async () => {
  const boot = bootAgent('metadata', process.argv.slice(2), MetadataAgentSchema);
  const { config, host, logger, connection } = boot;
  const meta = AGENT_KINDS.metadata;
  const c = config.DEFAULT;
  // Metadata lookups answer a waiting VM: no Neutron-style back-off sleep on timeout.
  const pluginClient = new OsloRpcClient(connection, { topic: SERVER_TOPICS.plugin, version: '1.0', timeoutMs: c.rpc_response_timeout * 1000, logger });
  let service: MetadataService;
  try {
    service = createMetadataService({
      socketPath: c.metadata_proxy_socket,
      socketMode: c.metadata_proxy_socket_mode,
      proxyUser: c.metadata_proxy_user,
      proxyGroup: c.metadata_proxy_group,
      backlog: c.metadata_backlog,
      nova: {
        protocol: c.nova_metadata_protocol, host: c.nova_metadata_host, port: c.nova_metadata_port, insecure: c.nova_metadata_insecure,
        caCertFile: c.auth_ca_cert, clientCertFile: c.nova_client_cert, clientKeyFile: c.nova_client_priv_key,
      },
      sharedSecret: c.metadata_proxy_shared_secret,
      cache: config.cache,
      ports: new MetadataPluginApi(pluginClient),
      logger,
      registry: metrics.registry,
    });
  } catch (err) {
    // Unreadable TLS files: the operator must fix them; ConfigError passes through as is.
    if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('E')) throw new StartupError(`Nova TLS files: ${err.message}`);
    throw err;
  }
  try {
    await service.listen();
  } catch (err) {
    throw new StartupError(`cannot serve on ${c.metadata_proxy_socket}: ${err instanceof Error ? err.message : String(err)}`);
  }
  runAgent(boot, {
    report: {
      castAfterStart: true,
      state: () => ({
        binary: meta.binary,
        host,
        topic: meta.topic,
        agent_type: meta.agentType,
        configurations: metadataConfigurations({
          metadataProxySocket: c.metadata_proxy_socket,
          novaMetadataHost: c.nova_metadata_host,
          novaMetadataPort: c.nova_metadata_port,
          logAgentHeartbeats: config.agent.log_agent_heartbeats,
        }),
      }),
    },
    control: metadataProvider({ agentType: meta.agentType, host, daemon: meta.daemon, service }),
    stopSteps: () => [{ name: 'metadata server', run: () => service.close() }],
  });
});
