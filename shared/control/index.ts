/** The operator surface of every daemon: control socket, metrics, status/health. */
export { startControl, type StartControlOptions, type ControlHandle } from './start.js';
export { ControlServer, type ControlServerOptions } from './server.js';
export { Metrics, metrics, opCountsByKind, type CountsByKind } from './metrics.js';
export { basicProvider, type BasicProviderOptions } from './basic-provider.js';
export type { ControlProvider, DiffEntry, FailingKey, HealthReport, HealthState } from './provider.js';
export { ControlError, ControlStartError, CONTROL_ERRORS, type ControlErrorCode, type ErrorBody } from './errors.js';
export { buildStatus, computeHealth, type StatusDocument, type StatusSources } from './status.js';
export { handleRequest, type RouteContext, type ControlResponse, type RecentLines } from './routes.js';
export { controlSocketPath, controlSocketDir, DEFAULT_STATE_PATH } from './socket-path.js';
export { controlRequest, errorMessage, type ControlAnswer } from './client.js';
