/**
 * The stack's data at rest: one customer KMS key (rotated), the results bucket, the Athena results
 * bucket whose staging objects expire, and the Athena workgroup that enforces that location.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { resourceName, type Tags } from './tags';

/** Key prefix of the results table; the scoring role may write only below it. */
export const RESULTS_PREFIX = 'results/';
/** Key prefix of Athena's query results in the Athena bucket; the lifecycle expires it. */
export const ATHENA_STAGING_PREFIX = 'staging/';
/** Days after which Athena query results (staging objects) are deleted. */
export const ATHENA_STAGING_EXPIRY_DAYS = 7;
/** Days a replaced or deleted results version is kept (recovery window for a bad write). */
export const NONCURRENT_EXPIRY_DAYS = 30;
/** Days after which an unfinished multipart upload is aborted (its parts cost money). */
export const ABORT_MULTIPART_DAYS = 7;
/** STANDARD_IA's minimum age, which S3 enforces on a transition. */
const STANDARD_IA_MIN_DAYS = 30;

/** An IAM policy statement as IAM reads it (JSON built from resolved outputs). */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** A component given arguments it cannot build from; names the component and the argument. */
export class ComponentArgsError extends Error {
  constructor(
    readonly component: string,
    readonly arg: string,
    message: string,
  ) {
    super(`${component}: ${arg} ${message}`);
    this.name = 'ComponentArgsError';
  }
}

/** Arguments of {@link Storage}. */
export interface StorageArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
}

/** Checks {@link StorageArgs} before any resource is declared; throws ComponentArgsError. */
export function validateStorageArgs(args: StorageArgs): void {
  if (!args?.config) throw new ComponentArgsError('Storage', 'args.config', 'is required');
  if (!args.tags) throw new ComponentArgsError('Storage', 'args.tags', 'is required');
  const days = args.config.resultsTransitionDays;
  if (!Number.isInteger(days) || days < STANDARD_IA_MIN_DAYS) {
    throw new ComponentArgsError('Storage', 'args.config.resultsTransitionDays', `must be an integer ≥ ${STANDARD_IA_MIN_DAYS} (S3's STANDARD_IA minimum), got ${days}`);
  }
}

/** The key policy: the account administers the key through IAM; CloudWatch Logs may use it for this stack's log groups only. */
export function kmsKeyPolicy(refs: { partition: string; region: string; accountId: string; environment: string }): PolicyDocument {
  const { partition, region, accountId, environment } = refs;
  return {
    Version: '2012-10-17',
    Statement: [
      // AWS's default key policy: without it the key is unmanageable; it grants nothing by itself,
      // each principal still needs an IAM policy naming this key.
      { Sid: 'AccountAdministersThroughIam', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatchLogsEncryptsStackLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/readscore-${environment}-*` } },
      },
    ],
  };
}

/** A bucket policy that refuses any request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/** Rules both buckets carry: old versions and abandoned uploads do not accumulate. */
function housekeepingRules(noncurrentDays: number): LifecycleRule[] {
  return [
    { id: 'expire-noncurrent-versions', status: 'Enabled', filter: { prefix: '' }, noncurrentVersionExpiration: { noncurrentDays } },
    { id: 'abort-incomplete-multipart', status: 'Enabled', filter: { prefix: '' }, abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS } },
    // Once every version under a key has expired, its lone delete marker goes too.
    { id: 'remove-expired-delete-markers', status: 'Enabled', filter: { prefix: '' }, expiration: { expiredObjectDeleteMarker: true } },
  ];
}

/** Lifecycle of the results bucket. */
export function resultsLifecycleRules(config: Pick<StackConfig, 'resultsTransitionDays'>): LifecycleRule[] {
  return [
    { id: 'results-to-standard-ia', status: 'Enabled', filter: { prefix: RESULTS_PREFIX }, transitions: [{ days: config.resultsTransitionDays, storageClass: 'STANDARD_IA' }] },
    ...housekeepingRules(NONCURRENT_EXPIRY_DAYS),
  ];
}

/** Lifecycle of the Athena results bucket: the staging-cleanup guarantee. */
export function athenaLifecycleRules(): LifecycleRule[] {
  return [{ id: 'expire-athena-staging', status: 'Enabled', filter: { prefix: ATHENA_STAGING_PREFIX }, expiration: { days: ATHENA_STAGING_EXPIRY_DAYS } }, ...housekeepingRules(1)];
}

/** The stack's KMS key, results bucket, Athena results bucket and Athena workgroup. */
export class Storage extends pulumi.ComponentResource {
  /** Customer managed key (yearly rotation) for both buckets, Athena results and the stack's log groups. */
  readonly kmsKey: aws.kms.Key;
  readonly kmsAlias: aws.kms.Alias;
  /** Results (Parquet + JSON) below {@link RESULTS_PREFIX}. */
  readonly resultsBucket: aws.s3.Bucket;
  /** Athena query results below {@link ATHENA_STAGING_PREFIX}, expired after {@link ATHENA_STAGING_EXPIRY_DAYS} days. */
  readonly athenaResultsBucket: aws.s3.Bucket;
  readonly athenaWorkgroup: aws.athena.Workgroup;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:Storage', name, {}, opts);
    validateStorageArgs(args);
    const { config, tags } = args;
    const child = { parent: this };
    const partition = aws.getPartitionOutput({}, child).partition;
    const region = aws.getRegionOutput({}, child).region;
    const accountId = aws.getCallerIdentityOutput({}, child).accountId;

    this.kmsKey = new aws.kms.Key(
      `${name}-key`,
      {
        description: `ReadScore ${config.environment}: results, Athena results and Lambda logs`,
        keyUsage: 'ENCRYPT_DECRYPT',
        customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi
          .all([partition, region, accountId])
          .apply(([p, r, a]) => JSON.stringify(kmsKeyPolicy({ partition: p, region: r, accountId: a, environment: config.environment }))),
        tags,
      },
      child,
    );
    this.kmsAlias = new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${resourceName(config, 'data')}`, targetKeyId: this.kmsKey.arn }, child);

    // Bucket names are global: the account id keeps them unique (≤ 54 characters).
    this.resultsBucket = this.protectedBucket(
      `${name}-results`,
      accountId.apply((a) => resourceName(config, `results-${a}`)),
      resultsLifecycleRules(config),
      tags,
    );
    this.athenaResultsBucket = this.protectedBucket(
      `${name}-athena`,
      accountId.apply((a) => resourceName(config, `athena-${a}`)),
      athenaLifecycleRules(),
      tags,
    );

    this.athenaWorkgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: resourceName(config, 'athena'),
        state: 'ENABLED',
        configuration: {
          // Clients cannot send results elsewhere or unencrypted.
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${this.athenaResultsBucket.bucket}/${ATHENA_STAGING_PREFIX}`,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: this.kmsKey.arn },
            expectedBucketOwner: accountId,
          },
        },
        tags,
      },
      child,
    );

    this.registerOutputs({
      kmsKeyArn: this.kmsKey.arn,
      resultsBucket: this.resultsBucket.bucket,
      athenaResultsBucket: this.athenaResultsBucket.bucket,
      athenaWorkgroup: this.athenaWorkgroup.name,
    });
  }

  /** A private, versioned, SSE-KMS, owner-enforced, TLS-only bucket with the given lifecycle. */
  private protectedBucket(name: string, bucketName: pulumi.Input<string>, rules: LifecycleRule[], tags: Tags): aws.s3.Bucket {
    const child = { parent: this };
    const bucket = new aws.s3.Bucket(name, { bucket: bucketName, forceDestroy: false, tags }, child);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      // Bucket keys cut KMS requests (and cost) per object by orders of magnitude.
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.kmsKey.arn }, bucketKeyEnabled: true }] },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, child);
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      // S3 rejects concurrent configuration changes on one bucket; the public access block goes first.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: bucket.id, rules }, { parent: this, dependsOn: [versioning] });
    return bucket;
  }
}
