/** Public API of the Neutron resource cache (push/pull of versioned objects) for the OVS agent. */
export { RemoteResourceCache } from './remote-cache.js';
export type { RemoteResourceCacheOptions, RemoteResourceCacheEvents, CacheConnection, PushServer, PushServerFactory } from './remote-cache.js';
export { ResourceStore, TOMBSTONE_TTL_MS } from './store.js';
export type { CacheReader, ResourceChange, ChangeKind, PutOutcome, ResourceStoreOptions } from './store.js';
export {
  RESOURCE_TYPES,
  RESOURCE_VERSIONS,
  isResourceType,
  decodeResource,
  decodeDeletedId,
  decodePort,
  decodeNetwork,
  decodeSubnet,
  decodeSecurityGroup,
  decodeSecurityGroupRule,
  decodeAddressGroup,
  decodeSegment,
} from './ovo.js';
export type {
  ResourceType,
  ResourceRecords,
  AnyRecord,
  Decoded,
  DecodedResource,
  DecodedSecurityGroup,
  PortRecord,
  PortBindingRecord,
  BindingLevelRecord,
  FixedIpRecord,
  AddressPairRecord,
  NetworkRecord,
  SegmentRecord,
  SubnetRecord,
  SecurityGroupRecord,
  SecurityGroupRuleRecord,
  AddressGroupRecord,
  Direction,
  Ethertype,
} from './ovo.js';
export { normalizeMac } from './ovo-fields.js';
export { deviceDetailsFromCache, fetchDeviceDetails, isDeviceDetails, migratingTo, SERVER_DETAIL_KEYS } from './device-details.js';
export type { DeviceDetails, DeviceDetailsReply, PullingCacheReader } from './device-details.js';
export { securityGroupInfoFromCache, fetchSecurityGroupInfo, renderRule, providerRules, tapDevice } from './sg-info.js';
export { securityGroupInfoPulling } from './sg-info-pulling.js';
export type { SgInfoReply, SgInfoPort, SgInfoRule, SgMemberIps, PortsPullingCacheReader } from './sg-info.js';
export { pushTopic, pushEndpoint, PUSH_RPC_VERSION } from './push-endpoint.js';
export type { PushBatch, PushEventType } from './push-endpoint.js';
export { ResourcesPullApi, BULK_PULL_CHUNK } from './pull-api.js';
export type { RpcCaller } from './pull-api.js';
export type { Query } from './queries.js';
export { ResourceCacheError, CacheIncompleteError, ResourceCacheStoppedError, PullFailedError, BadReplyError } from './errors.js';
export type { ResourceCacheErrorCode, MissingResource } from './errors.js';
