/** The required-tags policy: tags on the resource or the provider's defaultTags, and the stack's environment. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as aws from '@pulumi/aws';
import { mockStack, stackNames } from '../../infra/mock/preview';
import { requiredTags, TAGGABLE_TYPES } from '../../policies/tagging';
import { checkResource, NotApplicableError } from './policyHarness';

const AWS_DIR = dirname(require.resolve('@pulumi/aws/package.json'));
const ROOT = join(__dirname, '..', '..');

/** Whether @pulumi/aws declares a `tags` input for a type token (`aws:ec2/eip:Eip` → ec2/eip.d.ts). */
function declaresTags(type: string): boolean {
  const file = join(AWS_DIR, `${type.split(':')[1]}.d.ts`);
  return existsSync(file) && /^ {4}tags\?: pulumi\.Input/m.test(readFileSync(file, 'utf8'));
}

const tags = { project: 'readscore', environment: 'dev', owner: 'reading-platform', 'cost-center': 'cc-1042' };
const queue = (t?: Record<string, string>) => ({ name: 'readscore-dev-scoring', sqsManagedSseEnabled: true, ...(t ? { tags: t } : {}) }) satisfies aws.sqs.QueueArgs;

describe('required-tags', () => {
  it('is advisory unless the pack config raises it', () => {
    expect(requiredTags.enforcementLevel).toBe('advisory');
  });

  it('passes a resource with the four tags, or with them as provider defaultTags', async () => {
    expect(await checkResource(requiredTags, 'aws:sqs/queue:Queue', queue(tags), { config: { environment: 'dev' } })).toEqual([]);
    expect(await checkResource(requiredTags, 'aws:sqs/queue:Queue', queue(), { providerProps: { region: 'us-east-1', defaultTags: JSON.stringify({ tags }) } })).toEqual([]);
  });

  it('reads the Auto Scaling list form of tags', async () => {
    const group = { minSize: 0, maxSize: 1, tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })) } satisfies aws.autoscaling.GroupArgs;
    expect(await checkResource(requiredTags, 'aws:autoscaling/group:Group', group)).toEqual([]);
    const [message] = await checkResource(
      requiredTags,
      'aws:autoscaling/group:Group',
      { ...group, tags: [{ key: 'project', value: 'readscore', propagateAtLaunch: true }] },
      { name: 'gpu' },
    );
    expect(message).toBe('aws:autoscaling/group:Group gpu lacks the tags environment, owner, cost-center: pass tags: stackTags(config) (infra/tags.ts).');
  });

  it('fails missing tags and a tag environment of another stack', async () => {
    expect(await checkResource(requiredTags, 'aws:sqs/queue:Queue', queue({ project: 'readscore' }), { name: 'scoring' })).toEqual([
      'aws:sqs/queue:Queue scoring lacks the tags environment, owner, cost-center: pass tags: stackTags(config) (infra/tags.ts).',
    ]);
    expect(await checkResource(requiredTags, 'aws:sqs/queue:Queue', queue(tags), { name: 'scoring', config: { environment: 'prod' } })).toEqual([
      'aws:sqs/queue:Queue scoring has tag environment "dev" in the prod stack: pass tags: stackTags(config) for this stack.',
    ]);
  });

  it('lists only types that take tags, and every taggable type the stacks declare', async () => {
    expect(TAGGABLE_TYPES.filter((t) => !declaresTags(t))).toEqual([]);
    const types = new Set<string>();
    for (const stack of stackNames(ROOT)) for (const r of (await mockStack(ROOT, stack)).resources) types.add(r.type);
    expect([...types].filter((t) => t.startsWith('aws:') && declaresTags(t) && !TAGGABLE_TYPES.includes(t))).toEqual([]);
  }, 60_000); // a hang guard, not a timing check: two stacks under mocks on a loaded machine

  it('does not apply to untaggable resources', async () => {
    await expect(checkResource(requiredTags, 'aws:s3/bucketPolicy:BucketPolicy', { bucket: 'b', policy: '{}' } satisfies aws.s3.BucketPolicyArgs)).rejects.toThrow(
      NotApplicableError,
    );
  });
});
