/** Public API of the RPC layer (oslo.messaging-compatible, rabbit driver wire format). */
export { DEFAULT_RABBIT_OPTIONS, resolveRabbitOptions } from './options.js';
export type { RabbitOptions, ConsumerSpec, ExchangeSpec, QueueSpec, QueueArguments } from './options.js';
export {
  controlExchangeSpec,
  fanoutExchangeSpec,
  topicConsumerSpec,
  fanoutConsumerSpec,
  replyConsumerSpec,
  queueArguments,
  isDurable,
} from './options.js';
export { parseTransportUrl, maskTransportUrl, maskRawTransportUrl } from './transport-url.js';
export type { TransportUrl, TransportHost } from './transport-url.js';
export { OsloConnection } from './connection.js';
export type { OsloConnectionOptions, ChannelUser } from './connection.js';
export { OsloRpcServer } from './server.js';
export type { OsloRpcServerOptions } from './server.js';
export { OsloRpcClient, setRpcCallObserver } from './client.js';
export type { RpcCallObserver } from './client.js';
export type { OsloRpcClientOptions, CallOptions, CastOptions } from './client.js';
export type { RpcHandler, RpcEndpoint, DispatchOutcome } from './dispatcher.js';
export { RpcDispatcher } from './dispatcher.js';
export type { RpcContext } from './context.js';
export { adminContext, CONTEXT_KEYS, formatContextTimestamp } from './context.js';
export { encodeEnvelope, decodeEnvelope } from './envelope.js';
export { versionIsCompatible } from './version.js';
export { encodeFailure, decodeFailure, failureFromError } from './failure.js';
export type { OsloFailure } from './failure.js';
export {
  RpcError,
  RpcConfigError,
  TransportUrlError,
  RemoteError,
  RpcTimeoutError,
  RpcConnectionLostError,
  RpcNotConnectedError,
  RpcClosedError,
  MalformedMessageError,
  UnsupportedEnvelopeVersionError,
  RpcHandlerError,
} from './errors.js';
export type { RpcErrorCode } from './errors.js';
