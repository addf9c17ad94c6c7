/**
 * The ports of the scoring core: interfaces only. Implementations live under `adapters/local/`
 * (the CLI) and `adapters/aws/` (the Lambda); the domain never imports an AWS SDK.
 */
export type { AudioSource } from '../pipeline/audioSource';
export type { ActivityRef, ActivitySource, LoadedActivity } from './activitySource';
export type { LogFields, Logger } from './logger';
export { silentLogger } from './logger';
export type { Metrics, MetricUnit } from './metrics';
export { noMetrics } from './metrics';
export type { ResultMeta, ResultSink } from './resultSink';
