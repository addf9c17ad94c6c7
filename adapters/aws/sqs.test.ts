/** sendScoreRequests and redrive: batching and DLQ moves against moto, partial failures against a scripted client. */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseScoreRequest, type ScoreRequest, scoreRequest } from '../../core/contracts/scoreRequest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { redrive, sendScoreRequests } from './sqs';

const NOW = new Date('2025-03-04T05:06:07.000Z');
const id = (i: number) => i.toString(16).toUpperCase().padStart(32, '0');
const requests = (n: number) => Array.from({ length: n }, (_, i) => scoreRequest(id(i), 'enqueuer', { now: NOW }));

type Entry = { Id: string; MessageBody: string };

/** A fake SQS whose SendMessageBatch answers with `answer(entries, call)`. */
function scriptedSqs(
  answer: (entries: Entry[], call: number) => { Successful?: { Id: string }[]; Failed?: { Id: string; Code: string; Message?: string; SenderFault: boolean }[] },
) {
  const batches: Entry[][] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: { Entries: Entry[] } }) => {
      if (command.constructor.name !== 'SendMessageBatchCommand') throw new Error(`unexpected ${command.constructor.name}`);
      batches.push(command.input.Entries);
      return answer(command.input.Entries, batches.length);
    },
  };
  return { client: client as unknown as SQSClient, batches };
}

const ok = (entries: Entry[]) => ({ Successful: entries.map((e) => ({ Id: e.Id })) });

describe('sendScoreRequests (scripted client)', () => {
  it('retries only the entries SQS reported failed, with backoff', async () => {
    const sleeps: number[] = [];
    const fake = scriptedSqs((entries, call) =>
      call === 1
        ? {
            Successful: entries.filter((e) => !['3', '7'].includes(e.Id)).map((e) => ({ Id: e.Id })),
            Failed: ['3', '7'].map((Id) => ({ Id, Code: 'InternalError', SenderFault: false })),
          }
        : ok(entries),
    );
    const result = await sendScoreRequests(fake.client, 'q', requests(10), { sleep: async (ms) => void sleeps.push(ms) });
    expect(result).toEqual({ sent: 10, failed: [], calls: 2 });
    expect(fake.batches[1]?.map((e) => e.Id)).toEqual(['3', '7']);
    expect(fake.batches[1]?.map((e) => parseScoreRequest(e.MessageBody, e.Id).activityId)).toEqual([id(3), id(7)]);
    expect(sleeps).toEqual([200]);
  });

  it('gives up after maxAttempts and names the activities it could not send', async () => {
    const sleeps: number[] = [];
    const fake = scriptedSqs((entries) => ({
      Successful: entries.filter((e) => e.Id !== '11').map((e) => ({ Id: e.Id })),
      Failed: entries.filter((e) => e.Id === '11').map((e) => ({ Id: e.Id, Code: 'ServiceUnavailable', Message: 'busy', SenderFault: false })),
    }));
    const result = await sendScoreRequests(fake.client, 'q', requests(12), { maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms) });
    expect(result.sent).toBe(11);
    expect(result.failed).toEqual([{ activityId: id(11), reason: 'ServiceUnavailable: busy' }]);
    expect(result.calls).toBe(4);
    expect(fake.batches.map((b) => b.length)).toEqual([10, 2, 1, 1]);
    expect(sleeps).toEqual([200, 400]);
  });

  it('does not retry a sender fault', async () => {
    const fake = scriptedSqs((entries) => ({
      Successful: entries.slice(1).map((e) => ({ Id: e.Id })),
      Failed: [{ Id: entries[0]?.Id ?? '', Code: 'InvalidMessageContents', SenderFault: true }],
    }));
    const result = await sendScoreRequests(fake.client, 'q', requests(3), { sleep: async () => {} });
    expect(result).toEqual({ sent: 2, failed: [{ activityId: id(0), reason: 'InvalidMessageContents: no message' }], calls: 1 });
  });

  it('retries a batch whose call failed outright, then reports it', async () => {
    const fake = scriptedSqs(() => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    const result = await sendScoreRequests(fake.client, 'q', requests(2), { maxAttempts: 2, sleep: async () => {} });
    expect(result.sent).toBe(0);
    expect(result.calls).toBe(2);
    expect(result.failed.map((f) => f.reason)).toEqual(['TimeoutError: socket hang up', 'TimeoutError: socket hang up']);
  });

  it('makes no call for no requests', async () => {
    const fake = scriptedSqs(ok);
    expect(await sendScoreRequests(fake.client, 'q', [])).toEqual({ sent: 0, failed: [], calls: 0 });
  });
});

const suite = localAwsSuite();

suite.describe('SQS (moto)', () => {
  let sqs: SQSClient;
  let queueNo = 0;

  beforeAll(() => {
    sqs = new SQSClient({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, credentials: LOCAL_CREDENTIALS });
  });

  async function queue(): Promise<string> {
    const out = await sqs.send(new CreateQueueCommand({ QueueName: `q-${++queueNo}` }));
    if (!out.QueueUrl) throw new Error('no queue url');
    return out.QueueUrl;
  }

  async function drain(url: string): Promise<{ Body?: string; MessageAttributes?: Record<string, { StringValue?: string }> }[]> {
    const all = [];
    for (let i = 0; i < 20; i += 1) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
      if (!out.Messages?.length) break;
      all.push(...out.Messages);
    }
    return all;
  }

  async function depth(url: string): Promise<number> {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  it('enqueues 25 requests in 3 SendMessageBatch calls, each body a valid ScoreRequest', async () => {
    const url = await queue();
    let batchCalls = 0;
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand') batchCalls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countBatches' },
    );
    try {
      const result = await sendScoreRequests(sqs, url, requests(25));
      expect(result).toEqual({ sent: 25, failed: [], calls: 3 });
      expect(batchCalls).toBe(3);
    } finally {
      sqs.middlewareStack.remove('countBatches');
    }
    const bodies: ScoreRequest[] = (await drain(url)).map((m, i) => parseScoreRequest(m.Body ?? '', `message ${i}`));
    expect(bodies.map((b) => b.activityId).sort()).toEqual(requests(25).map((r) => r.activityId));
  });

  it('redrives every message from a DLQ to the queue, with its attributes, and empties the DLQ', async () => {
    const dlq = await queue();
    const target = await queue();
    for (let i = 0; i < 13; i += 1) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `body-${i}`, MessageAttributes: { origin: { DataType: 'String', StringValue: `o-${i}` } } }));
    }
    const result = await redrive(sqs, { from: dlq, to: target, waitSeconds: 0 });
    expect(result).toEqual({ moved: 13, failed: [] });
    expect(await depth(dlq)).toBe(0);
    const moved = await drain(target);
    expect(moved.map((m) => m.Body).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `body-${i}`).sort());
    expect(moved.find((m) => m.Body === 'body-4')?.MessageAttributes?.origin?.StringValue).toBe('o-4');
  });

  it('stops at max', async () => {
    const dlq = await queue();
    const target = await queue();
    for (let i = 0; i < 7; i += 1) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `b${i}` }));
    expect(await redrive(sqs, { from: dlq, to: target, max: 5, waitSeconds: 0 })).toEqual({ moved: 5, failed: [] });
    expect(await depth(target)).toBe(5);
    expect(await depth(dlq)).toBe(2);
  });

  it('keeps a message in the DLQ when the send fails, and does not loop on it', async () => {
    const dlq = await queue();
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'stays' }));
    const missing = dlq.replace(/q-\d+$/, 'no-such-queue');
    const result = await redrive(sqs, { from: dlq, to: missing, waitSeconds: 0, visibilityTimeoutSeconds: 0 });
    expect(result.moved).toBe(0);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.reason).toMatch(/NonExistentQueue|does not exist/i);
    const left = await drain(dlq);
    expect(left.map((m) => m.Body)).toEqual(['stays']);
  });
});
