/**
 * metadata_agent.ini (+ neutron.conf): neutron/conf/agent/metadata/config.py
 * (SHARED_OPTS, UNIX_DOMAIN_METADATA_PROXY_OPTS, METADATA_PROXY_HANDLER_OPTS) and
 * the [cache] options of oslo.cache that neutron.common.cache_utils registers and
 * the metadata agent uses for its instance cache (enabled, backend,
 * expiration_time, backend_argument; memcache_servers for a memcache backend).
 *
 * metadata_proxy_shared_secret is secret: never logged, `***` in errors.
 * metadata_workers unset (null) means what Neutron computes: cpu_count // 2.
 */
import { defineSchema, mergeSchemas } from '../schema.js';
import { boolOpt, choiceOpt, hostAddressOpt, intOpt, listOpt, multiStrOpt, portOpt, strOpt } from '../types.js';
import { CommonSchema } from './common.js';

/** oslo.cache's accepted `[cache] backend` values (as installed with Neutron 21). */
export const CACHE_BACKENDS = [
  'oslo_cache.memcache_pool',
  'oslo_cache.dict',
  'oslo_cache.mongo',
  'oslo_cache.etcd3gw',
  'dogpile.cache.pymemcache',
  'dogpile.cache.memcached',
  'dogpile.cache.pylibmc',
  'dogpile.cache.bmemcached',
  'dogpile.cache.dbm',
  'dogpile.cache.redis',
  'dogpile.cache.memory',
  'dogpile.cache.memory_pickle',
  'dogpile.cache.null',
] as const;

export const MetadataSchema = defineSchema({
  DEFAULT: {
    metadata_proxy_socket: strOpt({ default: '$state_path/metadata_proxy' }),
    metadata_proxy_user: strOpt({ default: '' }),
    metadata_proxy_group: strOpt({ default: '' }),
    metadata_proxy_socket_mode: choiceOpt(['deduce', 'user', 'group', 'all'], { default: 'deduce' }),
    metadata_workers: intOpt(),
    metadata_backlog: intOpt({ default: 4096 }),
    nova_metadata_host: hostAddressOpt({ default: '127.0.0.1' }),
    nova_metadata_port: portOpt({ default: 8775 }),
    nova_metadata_protocol: choiceOpt(['http', 'https'], { default: 'http' }),
    nova_metadata_insecure: boolOpt({ default: false }),
    nova_client_cert: strOpt({ default: '' }),
    nova_client_priv_key: strOpt({ default: '' }),
    metadata_proxy_shared_secret: strOpt({ default: '', secret: true }),
    /** CA bundle to verify Nova's https certificate (unset: the system's CAs). */
    auth_ca_cert: strOpt(),
  },
  cache: {
    enabled: boolOpt({ default: false }),
    backend: choiceOpt(CACHE_BACKENDS, { default: 'dogpile.cache.null' }),
    expiration_time: intOpt({ default: 600 }),
    memcache_servers: listOpt({ default: ['localhost:11211'] }),
    /** `<argname>:<value>` items for the backend; for dogpile.cache.redis: url, host, port, db, password, socket_timeout. Secret: a url may hold a password. */
    backend_argument: multiStrOpt({ default: [], secret: true }),
  },
});

export const MetadataAgentSchema = mergeSchemas(CommonSchema, MetadataSchema);
