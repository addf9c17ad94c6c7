/**
 * The scoring queue's producer side: batched ScoreRequest sends that retry only what failed, and
 * the redrive that moves messages back from a dead-letter queue.
 */
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ScoreRequest } from '../../core/contracts/scoreRequest';
import { ConfigError } from '../../core/errors';

/** SQS takes at most 10 entries per SendMessageBatch and per ReceiveMessage. */
const SQS_BATCH = 10;

/** Options of {@link sendScoreRequests}. */
export interface SendScoreRequestsOptions {
  /** Tries per entry, the first included (default 3). */
  readonly maxAttempts?: number;
  /** First retry delay, ms (default 200); doubles per retry. */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What {@link sendScoreRequests} did. */
export interface SendScoreRequestsResult {
  /** Requests SQS accepted. */
  readonly sent: number;
  /** Requests not sent after every attempt, with SQS's reason. */
  readonly failed: readonly { readonly activityId: string; readonly reason: string }[];
  /** SendMessageBatch calls made. */
  readonly calls: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1, max = 1_000_000): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ConfigError('invalid-option', name, `must be an integer from ${min} to ${max}`);
  return v;
}

function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
}

/**
 * Sends requests to `queueUrl`, 10 per SendMessageBatch. Entries SQS reports Failed are retried
 * with backoff (never the successful ones); sender faults (a malformed entry) are not retried.
 *
 * @example
 * const { sent, failed } = await sendScoreRequests(sqs, url, ids.map((id) => scoreRequest(id, 'enqueuer')));
 */
export async function sendScoreRequests(
  sqs: SQSClient,
  queueUrl: string,
  requests: readonly ScoreRequest[],
  options: SendScoreRequestsOptions = {},
): Promise<SendScoreRequestsResult> {
  if (!queueUrl) throw new ConfigError('invalid-option', 'sendScoreRequests.queueUrl', 'must be a queue URL');
  const maxAttempts = positiveInt('sendScoreRequests.maxAttempts', options.maxAttempts, 3, 1, 10);
  const backoffMs = positiveInt('sendScoreRequests.backoffMs', options.backoffMs, 200, 0, 60_000);
  const sleep = options.sleep ?? defaultSleep;
  let sent = 0;
  let calls = 0;
  const failed: { activityId: string; reason: string }[] = [];
  for (let start = 0; start < requests.length; start += SQS_BATCH) {
    // Entry Id = index in `requests`, so every answer maps back to its request.
    let pending: SendMessageBatchRequestEntry[] = requests.slice(start, start + SQS_BATCH).map((request, k) => ({ Id: String(start + k), MessageBody: JSON.stringify(request) }));
    const reasons = new Map<string, string>();
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
      calls += 1;
      let out: SendMessageBatchCommandOutput;
      try {
        out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      } catch (error) {
        // The SDK already retried the call; every pending entry failed this attempt.
        for (const entry of pending) reasons.set(entry.Id ?? '', describeError(error));
        if (attempt >= maxAttempts) break;
        continue;
      }
      const succeeded = new Set((out.Successful ?? []).map((s) => s.Id));
      sent += pending.filter((e) => succeeded.has(e.Id)).length;
      const retry: SendMessageBatchRequestEntry[] = [];
      const reported = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      for (const entry of pending) {
        if (succeeded.has(entry.Id)) continue;
        const f = reported.get(entry.Id);
        reasons.set(entry.Id ?? '', f ? `${f.Code ?? 'Failed'}: ${f.Message ?? 'no message'}` : 'SQS reported neither success nor failure');
        if (f?.SenderFault) failed.push({ activityId: requestAt(requests, entry.Id), reason: reasons.get(entry.Id ?? '') ?? 'sender fault' });
        else retry.push(entry);
      }
      pending = retry;
      if (attempt >= maxAttempts) break;
    }
    for (const entry of pending) failed.push({ activityId: requestAt(requests, entry.Id), reason: reasons.get(entry.Id ?? '') ?? 'not sent' });
  }
  return { sent, failed, calls };
}

function requestAt(requests: readonly ScoreRequest[], id: string | undefined): string {
  return requests[Number(id)]?.activityId ?? `(entry ${id})`;
}

/** Options of {@link redrive}. */
export interface RedriveOptions {
  /** The queue to empty (usually the DLQ). */
  readonly from: string;
  /** The queue to move messages to. */
  readonly to: string;
  /** Most messages to handle (moved or failed); default: until `from` is empty. */
  readonly max?: number;
  /** Long-poll wait of each ReceiveMessage, s (default 1). */
  readonly waitSeconds?: number;
  /** How long a received message stays hidden while it is copied, s (default 60). */
  readonly visibilityTimeoutSeconds?: number;
}

/** What {@link redrive} did. */
export interface RedriveResult {
  readonly moved: number;
  /** Messages left in `from`, with the reason. */
  readonly failed: readonly { readonly messageId: string; readonly reason: string }[];
}

/**
 * Moves messages from `from` to `to`: each body and its message attributes are sent to `to`, and
 * deleted from `from` only after that send succeeded. Stops when `from` answers empty, when `max`
 * messages were handled, or when a message that failed comes back (so it never loops on one).
 */
export async function redrive(sqs: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  if (!options.from) throw new ConfigError('invalid-option', 'redrive.from', 'must be a queue URL');
  if (!options.to) throw new ConfigError('invalid-option', 'redrive.to', 'must be a queue URL');
  if (options.from === options.to) throw new ConfigError('invalid-option', 'redrive.to', 'must differ from redrive.from');
  const max = positiveInt('redrive.max', options.max, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
  const waitSeconds = positiveInt('redrive.waitSeconds', options.waitSeconds, 1, 0, 20);
  const visibility = positiveInt('redrive.visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 60, 0, 43_200);
  let moved = 0;
  const failed: { messageId: string; reason: string }[] = [];
  const failedIds = new Set<string>();
  while (moved + failed.length < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.from,
        MaxNumberOfMessages: Math.min(SQS_BATCH, max - moved - failed.length),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibility,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    if (messages.some((m) => failedIds.has(m.MessageId ?? ''))) break;
    for (const message of messages) {
      const messageId = message.MessageId ?? '(no id)';
      try {
        await moveOne(sqs, message, options);
        moved += 1;
      } catch (error) {
        failedIds.add(messageId);
        failed.push({ messageId, reason: describeError(error) });
      }
    }
  }
  return { moved, failed };
}

async function moveOne(sqs: SQSClient, message: Message, options: RedriveOptions): Promise<void> {
  if (message.Body === undefined || !message.ReceiptHandle) throw new Error('the message has no body or receipt handle');
  const groupId = message.Attributes?.MessageGroupId;
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: options.to,
      MessageBody: message.Body,
      ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length ? { MessageAttributes: message.MessageAttributes } : {}),
      // FIFO queues need the group; the original id keeps a redrive of a redrive from duplicating.
      ...(groupId ? { MessageGroupId: groupId, MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? message.MessageId } : {}),
    }),
  );
  try {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: options.from, ReceiptHandle: message.ReceiptHandle }));
  } catch (error) {
    throw new Error(`copied to ${options.to} but not deleted from ${options.from} (${describeError(error)})`);
  }
}
