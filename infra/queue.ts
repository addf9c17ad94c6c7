/**
 * The scoring queue and its dead-letter queue: SSE, long polling, a redrive policy with
 * maxReceiveCount from config, 14-day DLQ retention, and a visibility timeout of six times the
 * scoring Lambda's timeout (AWS's advice for SQS event sources).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { resourceName, type Tags } from './tags';

/** Arguments of {@link ScoringQueue}. */
export interface ScoringQueueArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
}

/** Visibility timeout for a Lambda timeout: six times it, as AWS recommends for event sources. */
export function visibilityTimeoutFor(lambdaTimeoutSec: number): number {
  return Math.min(43_200, lambdaTimeoutSec * 6);
}

/** The scoring queue with its DLQ. */
export class ScoringQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: ScoringQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:ScoringQueue', name, {}, opts);
    const { config, tags } = args;
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: resourceName(config, 'scoring-dlq'), messageRetentionSeconds: 14 * 86_400, sqsManagedSseEnabled: true, tags },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        name: resourceName(config, 'scoring'),
        sqsManagedSseEnabled: true,
        receiveWaitTimeSeconds: 20,
        visibilityTimeoutSeconds: visibilityTimeoutFor(config.lambdaTimeoutSec),
        messageRetentionSeconds: 4 * 86_400,
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) => JSON.stringify({ deadLetterTargetArn, maxReceiveCount: config.maxReceiveCount })),
        tags,
      },
      { parent: this },
    );
    // Only the scoring queue may move messages into the DLQ.
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-allow`,
      { queueUrl: this.deadLetterQueue.url, redriveAllowPolicy: this.queue.arn.apply((arn) => JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arn] })) },
      { parent: this },
    );
    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
