/**
 * Messaging policies: every work queue has a redrive policy to a DLQ with maxReceiveCount ≤ 5,
 * every queue is encrypted, and every DLQ has a depth alarm (a poison message must page someone).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { alarmsWatching } from './alarms';
import { awsName, identifiers, label, refersTo, resourcesOf, validateTokens } from './validation';
import { asNumber, asRecord, asString, parseJson } from './values';

/** The largest maxReceiveCount allowed: beyond it a poison message burns Lambda time for minutes. */
export const MAX_RECEIVE_COUNT = 5;

const DLQ_NAME = /dlq|dead-?letter/i;

/** The redrive policy of `queue`: its own `redrivePolicy` input or a separate aws.sqs.RedrivePolicy. */
export function redriveOf(resources: readonly PolicyResource[], queue: PolicyResource): Record<string, unknown> | undefined {
  const own = asRecord(parseJson(queue.props.redrivePolicy));
  if (own) return own;
  const separate = resourcesOf(resources, 'queueRedrivePolicy').find((r) => refersTo(r, 'queueUrl', queue));
  return separate ? asRecord(parseJson(separate.props.redrivePolicy)) : undefined;
}

/** The queues that are dead-letter queues: the target of another queue's redrive policy, or named *dlq*. */
export function deadLetterQueues(resources: readonly PolicyResource[]): PolicyResource[] {
  const queues = resourcesOf(resources, 'queue');
  const targets = new Set(queues.map((q) => asString(redriveOf(resources, q)?.deadLetterTargetArn)).filter((a): a is string => Boolean(a)));
  return queues.filter((q) => DLQ_NAME.test(awsName(q)) || DLQ_NAME.test(q.name) || identifiers(q).some((id) => targets.has(id)));
}

/** Work queues hand poison messages to a DLQ after a few receives. */
export const sqsRedrivePolicy: StackValidationPolicy = {
  name: 'sqs-redrive-policy',
  description: `Every SQS queue that is not a DLQ must have a redrive policy to a DLQ with maxReceiveCount between 1 and ${MAX_RECEIVE_COUNT}.`,
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const dlqs = new Set(deadLetterQueues(args.resources).map((q) => q.urn));
    for (const queue of resourcesOf(args.resources, 'queue')) {
      if (dlqs.has(queue.urn)) continue;
      const redrive = redriveOf(args.resources, queue);
      const count = asNumber(redrive?.maxReceiveCount);
      if (!redrive || !asString(redrive.deadLetterTargetArn)) {
        report(
          `${label(queue)} has no dead-letter queue: create a DLQ (14-day retention) and set redrivePolicy JSON { deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }.`,
          queue.urn,
        );
      } else if (count === undefined || count < 1 || count > MAX_RECEIVE_COUNT) {
        report(`${label(queue)} redrives after maxReceiveCount ${String(redrive.maxReceiveCount)}: set maxReceiveCount between 1 and ${MAX_RECEIVE_COUNT}.`, queue.urn);
      }
    }
  },
};

/** Queues encrypt messages at rest. */
export const sqsQueueEncrypted: ResourceValidationPolicy = {
  name: 'sqs-queue-encrypted',
  description: 'Every SQS queue must enable server-side encryption: sqsManagedSseEnabled true or a kmsMasterKeyId.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('queue', (props, args, report) => {
    if (props.sqsManagedSseEnabled === true || asString(props.kmsMasterKeyId)) return;
    report(`${label(args)} is not encrypted: set sqsManagedSseEnabled: true (or kmsMasterKeyId to a KMS key).`);
  }),
};

/** Every DLQ has an alarm on its depth, so failed messages are noticed. */
export const sqsDlqAlarm: StackValidationPolicy = {
  name: 'sqs-dlq-alarm',
  description: 'Every dead-letter queue must have a CloudWatch alarm on AWS/SQS ApproximateNumberOfMessagesVisible for its QueueName.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const dlq of deadLetterQueues(args.resources)) {
      const name = awsName(dlq);
      const alarms = alarmsWatching(args.resources, (m) => m.namespace === 'AWS/SQS' && m.metricName === 'ApproximateNumberOfMessagesVisible' && m.dimensions.QueueName === name);
      if (alarms.length) continue;
      report(
        `${label(dlq)} (dead-letter queue ${name}) has no depth alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/SQS, metricName ApproximateNumberOfMessagesVisible, dimensions { QueueName: "${name}" }, threshold 0 (GreaterThanThreshold), alarmActions [the alarm topic ARN].`,
        dlq.urn,
      );
    }
  },
};

/** The messaging policies. */
export const messagingPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [sqsRedrivePolicy, sqsQueueEncrypted, sqsDlqAlarm];
