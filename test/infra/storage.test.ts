/** Storage under mocks: the stack key, both buckets' protections and lifecycles, and the Athena workgroup. */
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { ComponentArgsError, Storage, validateStorageArgs } from '../../infra/storage';
import { stackTags } from '../../infra/tags';

const config = parseStackConfig('dev', {
  engine: 'cpu',
  owner: 'reading-platform',
  costCenter: 'cc-1042',
  imageTag: 'v1.2.3',
  audioBucket: 'tutor-speech-dev',
  storyBucket: 'tutor-content-dev',
  storyKey: 'stories/story-phrases.json',
  athenaDatabase: 'tutor_dev',
  appsyncSecretName: 'readscore/dev/appsync',
  resultsTransitionDays: 120,
});

const BUCKET = 'aws:s3/bucket:Bucket';

async function build(c: StackConfig): Promise<MockedStack> {
  return runMocked(c, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    const storage = new Storage('storage', { config: c, tags: stackTags(c) }, { parent: root });
    return {
      urn: storage.urn,
      key: storage.kmsKey.urn,
      results: storage.resultsBucket.urn,
      athena: storage.athenaResultsBucket.urn,
      workgroup: storage.athenaWorkgroup.urn,
    };
  });
}

/** The resources of `type` configuring `bucket` (followed through their `bucket` input). */
function attached(stack: MockedStack, type: string, bucket: RecordedResource): RecordedResource[] {
  return stack.ofType(type).filter((r) => stack.byRef(r.inputs.bucket) === bucket);
}

type Rule = { id: string; status: string; filter?: { prefix?: string }; [k: string]: unknown };

describe('Storage', () => {
  let stack: MockedStack;
  let key: RecordedResource;
  let results: RecordedResource;
  let athena: RecordedResource;

  beforeAll(async () => {
    stack = await build(config);
    key = stack.one('aws:kms/key:Key');
    results = stack.one(BUCKET, 'results');
    athena = stack.one(BUCKET, 'athena');
  });

  it('uses one customer key with rotation, an alias and a logs grant scoped to the stack’s Lambda log groups', () => {
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(key.inputs.deletionWindowInDays).toBe(30);
    const alias = stack.one('aws:kms/alias:Alias');
    expect(stack.byRef(alias.inputs.targetKeyId)).toBe(key);
    expect(alias.inputs.name).toBe('alias/readscore-dev-data');
    const policy = JSON.parse(key.inputs.policy as string);
    const logs = policy.Statement.find((s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'logs.us-east-1.amazonaws.com');
    expect(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/readscore-dev-*');
    expect(policy.Statement.filter((s: { Principal?: unknown }) => JSON.stringify(s.Principal) === '"*"')).toEqual([]);
  });

  it('names the buckets per environment and account, so the global names do not collide', () => {
    expect(results.inputs.bucket).toBe('readscore-dev-results-123456789012');
    expect(athena.inputs.bucket).toBe('readscore-dev-athena-123456789012');
    expect(stack.ofType(BUCKET)).toHaveLength(2);
  });

  it.each(['results', 'athena'])('protects the %s bucket: SSE-KMS with the stack key, versioning, no public access, owner-enforced, TLS only', (which) => {
    const bucket = which === 'results' ? results : athena;
    expect(bucket.inputs.forceDestroy).toBe(false);

    const [sse, ...moreSse] = attached(stack, 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', bucket);
    expect(moreSse).toEqual([]);
    expect(sse?.inputs.rules).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true }]);

    expect(attached(stack, 'aws:s3/bucketVersioning:BucketVersioning', bucket).map((r) => r.inputs.versioningConfiguration)).toEqual([{ status: 'Enabled' }]);
    const [block] = attached(stack, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', bucket);
    expect(block?.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(attached(stack, 'aws:s3/bucketOwnershipControls:BucketOwnershipControls', bucket).map((r) => r.inputs.rule)).toEqual([{ objectOwnership: 'BucketOwnerEnforced' }]);

    const [bucketPolicy] = attached(stack, 'aws:s3/bucketPolicy:BucketPolicy', bucket);
    const statements = JSON.parse(bucketPolicy?.inputs.policy as string).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
    expect(bucketPolicy?.dependsOn).toContain(`aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::${block?.name}`);
  });

  it('moves results to STANDARD_IA after resultsTransitionDays, expires old versions and aborts stale uploads', () => {
    const [lifecycle] = attached(stack, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', results);
    const rules = lifecycle?.inputs.rules as Rule[];
    expect(rules.every((r) => r.status === 'Enabled')).toBe(true);
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ filter: { prefix: 'results/' }, transitions: [{ days: 120, storageClass: 'STANDARD_IA' }] }),
        expect.objectContaining({ noncurrentVersionExpiration: { noncurrentDays: 30 } }),
        expect.objectContaining({ abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }),
      ]),
    );
    // Nothing expires current results.
    expect(rules.filter((r) => (r.expiration as { days?: number } | undefined)?.days !== undefined)).toEqual([]);
  });

  it('expires Athena staging objects after 7 days (and their old versions), and aborts stale uploads', () => {
    const [lifecycle] = attached(stack, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', athena);
    const rules = lifecycle?.inputs.rules as Rule[];
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'Enabled', filter: { prefix: 'staging/' }, expiration: { days: 7 } }),
        expect.objectContaining({ status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: 1 } }),
        expect.objectContaining({ status: 'Enabled', abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }),
      ]),
    );
  });

  it('enforces the workgroup’s result location under the Athena bucket’s staging/ prefix, SSE-KMS with the stack key', () => {
    const workgroup = stack.one('aws:athena/workgroup:Workgroup');
    expect(workgroup.inputs.name).toBe('readscore-dev-athena');
    expect(workgroup.inputs.configuration).toMatchObject({
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      resultConfiguration: { outputLocation: `s3://${athena.state.bucket}/staging/`, encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: key.state.arn } },
    });
  });

  it('tags every taggable resource and parents everything under the component', () => {
    const taggable = stack.ofType('aws:kms/key:Key', BUCKET, 'aws:athena/workgroup:Workgroup');
    expect(taggable).toHaveLength(4);
    for (const r of taggable) expect(r.inputs.tags).toEqual(stackTags(config));
    const children = stack.resources.filter((r) => r.type.startsWith('aws:'));
    expect(children.filter((r) => r.parent !== 'readscore:index:Storage::storage').map((r) => r.name)).toEqual([]);
  });
});

describe('validateStorageArgs', () => {
  it('refuses a transition earlier than STANDARD_IA allows, naming the argument', () => {
    const bad = { ...config, resultsTransitionDays: 10 };
    expect(() => validateStorageArgs({ config: bad, tags: stackTags(config) })).toThrow(ComponentArgsError);
    expect(() => validateStorageArgs({ config: bad, tags: stackTags(config) })).toThrow(/args\.config\.resultsTransitionDays must be an integer ≥ 30/);
  });

  it('accepts the parsed config', () => {
    expect(() => validateStorageArgs({ config, tags: stackTags(config) })).not.toThrow();
  });
});
