/** Messaging policies: redrive to a DLQ, SSE, and a depth alarm on every DLQ. */
import type * as aws from '@pulumi/aws';
import { deadLetterQueues, sqsDlqAlarm, sqsQueueEncrypted, sqsRedrivePolicy } from '../../policies/messaging';
import { checkResource, checkStack, stackResource } from './policyHarness';

const Q = 'aws:sqs/queue:Queue';
const arn = (n: string) => `arn:aws:sqs:us-east-1:123456789012:${n}`;
const dlq = stackResource(Q, 'scoring-dlq', { name: 'readscore-dev-scoring-dlq', arn: arn('readscore-dev-scoring-dlq'), sqsManagedSseEnabled: true } satisfies aws.sqs.QueueArgs & {
  arn: string;
});
const work = (redrive?: object) =>
  stackResource(Q, 'scoring-queue', {
    name: 'readscore-dev-scoring',
    arn: arn('readscore-dev-scoring'),
    sqsManagedSseEnabled: true,
    ...(redrive ? { redrivePolicy: JSON.stringify(redrive) } : {}),
  } satisfies aws.sqs.QueueArgs & { arn: string });
const depthAlarm = (queueName: string) =>
  stackResource('aws:cloudwatch/metricAlarm:MetricAlarm', 'dlq-depth', {
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: queueName },
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 0,
    evaluationPeriods: 1,
    period: 300,
    statistic: 'Maximum',
    alarmActions: ['arn:aws:sns:us-east-1:123456789012:alarms'],
  } satisfies aws.cloudwatch.MetricAlarmArgs);

describe('sqs-redrive-policy', () => {
  it('passes a queue redriving to its DLQ, and a redrive declared as a separate aws.sqs.RedrivePolicy', async () => {
    expect(await checkStack(sqsRedrivePolicy, [dlq, work({ deadLetterTargetArn: dlq.props.arn, maxReceiveCount: 3 })])).toEqual([]);
    const separate = stackResource('aws:sqs/redrivePolicy:RedrivePolicy', 'scoring-redrive', {
      queueUrl: 'scoring-queue-id',
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.props.arn, maxReceiveCount: 5 }),
    } satisfies aws.sqs.RedrivePolicyArgs);
    expect(await checkStack(sqsRedrivePolicy, [dlq, work(), separate])).toEqual([]);
  });

  it('fails a queue without a DLQ and one redriving after 10 receives', async () => {
    expect(await checkStack(sqsRedrivePolicy, [work()])).toEqual([
      [
        `urn:pulumi:test::readscore::${Q}::scoring-queue`,
        `${Q} scoring-queue has no dead-letter queue: create a DLQ (14-day retention) and set redrivePolicy JSON { deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }.`,
      ],
    ]);
    expect((await checkStack(sqsRedrivePolicy, [dlq, work({ deadLetterTargetArn: dlq.props.arn, maxReceiveCount: 10 })])).map(([, m]) => m)).toEqual([
      `${Q} scoring-queue redrives after maxReceiveCount 10: set maxReceiveCount between 1 and 5.`,
    ]);
  });

  it('knows a DLQ by being a redrive target or by its name', () => {
    const target = stackResource(Q, 'failures', { name: 'readscore-failures', arn: arn('readscore-failures') });
    const source = work({ deadLetterTargetArn: arn('readscore-failures'), maxReceiveCount: 3 });
    expect(deadLetterQueues([target, source, dlq]).map((q) => q.name)).toEqual(['failures', 'scoring-dlq']);
  });
});

describe('sqs-queue-encrypted', () => {
  it('passes SSE-SQS and SSE-KMS', async () => {
    expect(await checkResource(sqsQueueEncrypted, Q, { sqsManagedSseEnabled: true } satisfies aws.sqs.QueueArgs)).toEqual([]);
    expect(await checkResource(sqsQueueEncrypted, Q, { kmsMasterKeyId: 'alias/readscore' } satisfies aws.sqs.QueueArgs)).toEqual([]);
  });

  it('fails a queue without SSE', async () => {
    expect(await checkResource(sqsQueueEncrypted, Q, { name: 'plain', sqsManagedSseEnabled: false } satisfies aws.sqs.QueueArgs, { name: 'plain' })).toEqual([
      `${Q} plain is not encrypted: set sqsManagedSseEnabled: true (or kmsMasterKeyId to a KMS key).`,
    ]);
  });
});

describe('sqs-dlq-alarm', () => {
  it('passes a DLQ with a depth alarm on its QueueName', async () => {
    expect(await checkStack(sqsDlqAlarm, [dlq, depthAlarm('readscore-dev-scoring-dlq')])).toEqual([]);
  });

  it('fails a DLQ whose alarm watches another queue', async () => {
    expect(await checkStack(sqsDlqAlarm, [dlq, depthAlarm('readscore-dev-scoring')])).toEqual([
      [
        dlq.urn,
        `${Q} scoring-dlq (dead-letter queue readscore-dev-scoring-dlq) has no depth alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/SQS, metricName ApproximateNumberOfMessagesVisible, dimensions { QueueName: "readscore-dev-scoring-dlq" }, threshold 0 (GreaterThanThreshold), alarmActions [the alarm topic ARN].`,
      ],
    ]);
  });
});
