/**
 * neutron.conf as every agent reads it: the [DEFAULT] options of
 * neutron/conf/common.py and oslo.log/oslo.messaging, [agent] state reporting
 * and root helper (neutron/conf/agent/common.py), and [oslo_messaging_rabbit]
 * (oslo.messaging 14.0.3 impl_rabbit.py and amqp.py). Defaults are Neutron 21's.
 *
 * Option names are verbatim, including oslo.messaging's misspelt
 * `rabbit_quroum_max_memory_length` / `rabbit_quroum_max_memory_bytes`
 * (`rabbit_quorum_delivery_limit` is spelt correctly there). Deprecated names and
 * groups are the ones oslo.messaging declares: [DEFAULT] amqp_auto_delete,
 * rabbit_ha_queues, rabbit_login_method, rabbit_retry_backoff and
 * kombu_reconnect_delay; kombu_reconnect_timeout for
 * kombu_missing_consumer_retry_timeout; rabbit_use_ssl / kombu_ssl_* for ssl*.
 * amqp_durable_queues has no deprecated location in 14.0.3.
 */
import { hostname } from 'node:os';
import { defineSchema } from '../schema.js';
import { boolOpt, choiceOpt, floatOpt, hostAddressOpt, intOpt, strOpt } from '../types.js';

export const RABBIT_LOGIN_METHODS = ['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'RABBIT-CR-DEMO'] as const;

export const CommonSchema = defineSchema({
  DEFAULT: {
    /** neutron_lib.utils.net.get_hostname() = socket.gethostname(), as is (not shortened). */
    host: hostAddressOpt({ default: hostname() }),
    state_path: strOpt({ default: '/var/lib/neutron' }),
    debug: boolOpt({ default: false }),
    log_file: strOpt({ deprecated: [{ name: 'logfile' }] }),
    log_dir: strOpt({ deprecated: [{ name: 'logdir' }] }),
    use_syslog: boolOpt({ default: false }),
    use_journal: boolOpt({ default: false }),
    use_json: boolOpt({ default: false }),
    use_stderr: boolOpt({ default: false }),
    /** oslo.messaging default "rabbit://"; secret (holds the broker password). */
    transport_url: strOpt({ default: 'rabbit://', secret: true }),
    /** oslo.messaging says "openstack"; neutron.common.config sets "neutron". */
    control_exchange: strOpt({ default: 'neutron' }),
    rpc_response_timeout: intOpt({ default: 60 }),
    rpc_response_max_timeout: intOpt({ default: 600 }),
    /** Registered by the L3/DHCP agents; set in neutron.conf by many deployments. */
    interface_driver: strOpt(),
    global_physnet_mtu: intOpt({ default: 1500, deprecated: [{ group: 'ml2', name: 'segment_mtu' }] }),
    dhcp_lease_duration: intOpt({ default: 86400 }),
    dns_domain: strOpt({ default: 'openstacklocal' }),
  },
  agent: {
    report_interval: floatOpt({ default: 30 }),
    log_agent_heartbeats: boolOpt({ default: false }),
    root_helper: strOpt({ default: 'sudo' }),
    root_helper_daemon: strOpt(),
    use_helper_for_ns_read: boolOpt({ default: true }),
    availability_zone: strOpt({ default: 'nova', maxLength: 255 }),
  },
  oslo_messaging_rabbit: {
    amqp_durable_queues: boolOpt({ default: false }),
    amqp_auto_delete: boolOpt({ default: false, deprecated: [{ group: 'DEFAULT' }] }),
    rabbit_ha_queues: boolOpt({ default: false, deprecated: [{ group: 'DEFAULT' }] }),
    rabbit_quorum_queue: boolOpt({ default: false }),
    rabbit_quorum_delivery_limit: intOpt({ default: 0 }),
    rabbit_quroum_max_memory_length: intOpt({ default: 0 }),
    rabbit_quroum_max_memory_bytes: intOpt({ default: 0 }),
    rabbit_transient_queues_ttl: intOpt({ default: 1800, min: 1 }),
    heartbeat_timeout_threshold: intOpt({ default: 60 }),
    heartbeat_rate: intOpt({ default: 2 }),
    rabbit_login_method: choiceOpt(RABBIT_LOGIN_METHODS, { default: 'AMQPLAIN', deprecated: [{ group: 'DEFAULT' }] }),
    rabbit_retry_interval: intOpt({ default: 1 }),
    rabbit_retry_backoff: intOpt({ default: 2, deprecated: [{ group: 'DEFAULT' }] }),
    rabbit_interval_max: intOpt({ default: 30 }),
    rabbit_qos_prefetch_count: intOpt({ default: 0 }),
    kombu_missing_consumer_retry_timeout: intOpt({ default: 60, deprecated: [{ name: 'kombu_reconnect_timeout' }] }),
    kombu_reconnect_delay: floatOpt({ default: 1.0, min: 0, max: 4.5, deprecated: [{ group: 'DEFAULT' }] }),
    kombu_compression: strOpt(),
    ssl: boolOpt({ default: false, deprecated: [{ name: 'rabbit_use_ssl' }] }),
    ssl_version: strOpt({ default: '', deprecated: [{ name: 'kombu_ssl_version' }] }),
    ssl_key_file: strOpt({ default: '', deprecated: [{ name: 'kombu_ssl_keyfile' }] }),
    ssl_cert_file: strOpt({ default: '', deprecated: [{ name: 'kombu_ssl_certfile' }] }),
    ssl_ca_file: strOpt({ default: '', deprecated: [{ name: 'kombu_ssl_ca_certs' }] }),
  },
});
