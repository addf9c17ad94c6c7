import { join } from 'node:path';
import { readStackFile, runMocked } from '../../infra/mock/harness';
import { createStack } from '../../infra/stack';

const root = join(__dirname, '..', '..');

describe('createStack under mocks', () => {
  it('registers the queue with a redrive policy that targets the DLQ', async () => {
    const { config } = readStackFile(root, 'dev');
    const stack = await runMocked(config, (opts) => createStack(config, opts));
    const queue = stack.one('aws:sqs/queue:Queue', 'scoring-queue');
    const dlq = stack.one('aws:sqs/queue:Queue', 'dlq');
    expect(JSON.parse(queue.inputs.redrivePolicy as string)).toEqual({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 3 });
    expect(queue.parent).toBe('readscore:index:ScoringQueue::scoring');
    expect(stack.outputs.queueUrl).toBe(queue.state.url);
  });
});
