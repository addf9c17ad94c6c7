/**
 * What one Lambda container builds once, outside the handler: the config from the environment, the
 * AWS clients, the adapters and the scorer. Warm invocations reuse all of it.
 */
import { AwsActivitySource } from '../../adapters/aws/activitySource';
import { AppSyncResultSink } from '../../adapters/aws/appsync';
import { AthenaQueries } from '../../adapters/aws/athena';
import { type AwsClients, createAwsClients } from '../../adapters/aws/clients';
import { S3SegmentStore } from '../../adapters/aws/s3Audio';
import { S3ResultSink } from '../../adapters/aws/s3ResultSink';
import { SecretsCache } from '../../adapters/aws/secrets';
import { S3StoryPhrases } from '../../adapters/aws/storyPhrases';
import { ENQUEUER_NEEDS, type ReadScoreConfig, readScoreConfig, requireAws, SCORING_NEEDS } from '../../core/config';
import type { Engine } from '../../core/pipeline/engine';
import { createScorer, type Scorer } from '../../core/pipeline/scorer';
import { LambdaLogger, LambdaMetrics } from './powertools';

/** Test seams: a loaded engine, extra trusted CA for the AppSync stand-in, a logger. */
export interface ContainerOverrides {
  readonly engine?: Engine;
  readonly appsyncCa?: string;
  readonly logger?: LambdaLogger;
  readonly metrics?: LambdaMetrics;
}

/** The scoring Lambda's container. */
export interface ScoringContainer {
  readonly config: ReadScoreConfig;
  readonly clients: AwsClients;
  readonly scorer: Scorer;
  readonly logger: LambdaLogger;
  readonly metrics: LambdaMetrics;
}

/** The enqueuer Lambda's container. */
export interface EnqueuerContainer {
  readonly config: ReadScoreConfig;
  readonly clients: AwsClients;
  readonly athena: AthenaQueries;
  readonly queueUrl: string;
  readonly logger: LambdaLogger;
}

function clientsOf(config: ReadScoreConfig): AwsClients {
  const { region, endpoint } = requireAws(config, ['region']);
  return createAwsClients({ region, ...(endpoint ? { endpoint } : {}) });
}

function athenaOf(config: ReadScoreConfig, clients: AwsClients, logger: LambdaLogger): AthenaQueries {
  const aws = requireAws(config, ['athenaWorkgroup', 'athenaDatabase']);
  return new AthenaQueries(clients.athena, { workgroup: aws.athenaWorkgroup, database: aws.athenaDatabase, timeoutMs: aws.athenaTimeoutMs, logger });
}

/** Builds the scoring container from environment variables; a missing or bad variable is a ConfigError naming it. */
export async function buildScoringContainer(env: Readonly<Record<string, string | undefined>>, overrides: ContainerOverrides = {}): Promise<ScoringContainer> {
  const config = readScoreConfig({ from: 'env', env });
  const aws = requireAws(config, SCORING_NEEDS);
  const logger = overrides.logger ?? new LambdaLogger();
  const metrics = overrides.metrics ?? new LambdaMetrics();
  const clients = clientsOf(config);
  const secrets = new SecretsCache(clients.secrets, { ttlMs: aws.secretsTtlSec * 1000 });
  const activities = new AwsActivitySource(
    {
      athena: athenaOf(config, clients, logger),
      stories: new S3StoryPhrases(clients.s3, { bucket: aws.storyBucket, key: aws.storyKey, ttlMs: aws.secretsTtlSec * 1000 }),
      segments: new S3SegmentStore(clients.s3, { bucket: aws.audioBucket, prefix: aws.audioPrefix, maxSegmentBytes: aws.maxSegmentBytes }),
    },
    { logger },
  );
  // S3 first (data objects, then the marker), AppSync last: a failed update fails the message and a
  // redelivery rewrites the same S3 keys, so nothing is lost or duplicated.
  const sinks = [
    new S3ResultSink(clients.s3, { bucket: aws.resultsBucket, prefix: aws.resultsPrefix, ...(aws.resultsKmsKeyId ? { kmsKeyId: aws.resultsKmsKeyId } : {}) }),
    new AppSyncResultSink({ secrets, secretName: aws.appsyncSecretName, ...(overrides.appsyncCa ? { ca: overrides.appsyncCa } : {}) }),
  ];
  const scorer = await createScorer(config, { activities, sinks, logger, metrics, secrets, ...(overrides.engine ? { engine: overrides.engine } : {}) });
  return { config, clients, scorer, logger, metrics };
}

/** Builds the enqueuer container from environment variables. */
export function buildEnqueuerContainer(env: Readonly<Record<string, string | undefined>>, overrides: Pick<ContainerOverrides, 'logger'> = {}): EnqueuerContainer {
  const config = readScoreConfig({ from: 'env', env });
  const aws = requireAws(config, ENQUEUER_NEEDS);
  const logger = overrides.logger ?? new LambdaLogger();
  const clients = clientsOf(config);
  return { config, clients, athena: athenaOf(config, clients, logger), queueUrl: aws.scoringQueueUrl, logger };
}
