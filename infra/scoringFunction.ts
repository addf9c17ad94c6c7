/**
 * The scoring Lambda: container image (the stack's ECR repository or a pushed URI), its
 * least-privilege role, its log group, and the SQS event source (batch 1, partial batch failures).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import type { ScoringQueue } from './queue';
import { ATHENA_STAGING_PREFIX, ComponentArgsError, type PolicyDocument, type PolicyStatement, RESULTS_PREFIX, type Storage } from './storage';
import { resourceName, type Tags } from './tags';

/** The image's default CMD: the scoring handler. */
export const SCORE_HANDLER = 'dist/handlers/lambda/score.handler';
/** Images the stack's repository keeps (older ones expire); deployed tags must be among them. */
export const IMAGE_HISTORY = 30;
/** The smallest SQS event-source maximum concurrency AWS accepts. */
const MIN_EVENT_SOURCE_CONCURRENCY = 2;

/** The Triton fleet the function calls on the GPU path. */
export interface TritonTarget {
  /** `https://host:port` of the internal ALB. */
  readonly url: pulumi.Input<string>;
  /** ARN of the Secrets Manager secret holding the CA bundle (for the role policy). */
  readonly caSecretArn: pulumi.Input<string>;
  /** Name of that secret (what the function reads, READSCORE_TRITON_CA_SECRET). */
  readonly caSecretName: pulumi.Input<string>;
  /** Private subnets the function's ENIs go in (at least one; two or more AZs recommended). */
  readonly subnetIds: pulumi.Input<string>[];
  /** Security group of the function (allowed by the ALB's group). */
  readonly securityGroupId: pulumi.Input<string>;
}

/** Arguments of {@link ScoringFunction}. */
export interface ScoringFunctionArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
  readonly storage: Storage;
  readonly queue: ScoringQueue;
  /** Required with `readscore:engine triton`, refused with `cpu`. */
  readonly triton?: TritonTarget;
}

/** Checks {@link ScoringFunctionArgs} before any resource is declared; throws ComponentArgsError. */
export function validateScoringFunctionArgs(args: ScoringFunctionArgs): void {
  const fail = (arg: string, message: string): never => {
    throw new ComponentArgsError('ScoringFunction', arg, message);
  };
  if (!args?.config) fail('args.config', 'is required');
  if (!args.tags) fail('args.tags', 'is required');
  if (!args.storage) fail('args.storage', 'is required');
  if (!args.queue) fail('args.queue', 'is required');
  const { config, triton } = args;
  if (!config.imageUri === !config.imageTag) fail('args.config.imageUri', 'or args.config.imageTag must be given, not both and not neither');
  if (config.engine === 'triton' && !triton) fail('args.triton', 'is required when readscore:engine is triton (the function must reach the Triton fleet)');
  if (config.engine === 'cpu' && triton) fail('args.triton', 'must be omitted when readscore:engine is cpu (the CPU path runs outside a VPC)');
  if (triton) {
    if (typeof triton.url === 'string' && !triton.url.startsWith('https://')) fail('args.triton.url', `must be https:// (plaintext is refused), got ${triton.url}`);
    if (!Array.isArray(triton.subnetIds) || triton.subnetIds.length === 0) fail('args.triton.subnetIds', 'must name at least one subnet');
    if (!triton.securityGroupId) fail('args.triton.securityGroupId', 'is required');
    if (!triton.caSecretArn) fail('args.triton.caSecretArn', 'is required');
    if (!triton.caSecretName) fail('args.triton.caSecretName', 'is required');
  }
}

/** The SQS event source's maximum concurrency: config.maxConcurrency, else the reserved concurrency, never below AWS's 2. */
export function eventSourceMaxConcurrency(config: Pick<StackConfig, 'maxConcurrency' | 'reservedConcurrency'>): number {
  return Math.max(MIN_EVENT_SOURCE_CONCURRENCY, config.maxConcurrency ?? config.reservedConcurrency);
}

/** The trust policy of a Lambda execution role (a trust statement names a Principal and no Resource). */
export function assumeRolePolicyJson(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'LambdaAssumesRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
}

/**
 * A Lambda function's log group (KMS-encrypted, the stack's retention) and execution role (trust:
 * lambda.amazonaws.com); the caller attaches the role's least-privilege policy.
 */
export function lambdaLogsAndRole(
  name: string,
  functionName: string,
  roleSuffix: string,
  args: { readonly config: StackConfig; readonly storage: Storage; readonly tags: Tags },
  child: pulumi.CustomResourceOptions,
): { logGroup: aws.cloudwatch.LogGroup; role: aws.iam.Role } {
  const { config, storage, tags } = args;
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { name: `/aws/lambda/${functionName}`, retentionInDays: config.logRetentionDays, kmsKeyId: storage.kmsKey.arn, tags },
    child,
  );
  const role = new aws.iam.Role(`${name}-role`, { name: resourceName(config, roleSuffix), assumeRolePolicy: assumeRolePolicyJson(), tags }, child);
  return { logGroup, role };
}

/** What the Athena statements need, resolved. */
export interface AthenaRefs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workgroupArn: string;
  readonly athenaDatabase: string;
  readonly athenaTables: readonly string[];
  /** `s3://bucket/prefix/` of the queried tables' data (read-only). */
  readonly athenaDataLocations?: readonly string[];
  readonly athenaResultsBucketArn: string;
}

/** Running queries in the stack's workgroup: Athena, the Glue catalog entries it reads, and the staging prefix. */
export function athenaStatements(refs: AthenaRefs): PolicyStatement[] {
  const glue = `arn:${refs.partition}:glue:${refs.region}:${refs.accountId}`;
  return [
    {
      Sid: 'AthenaQueriesInWorkgroup',
      Effect: 'Allow',
      Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
      Resource: refs.workgroupArn,
    },
    {
      Sid: 'GlueCatalogOfQueriedTables',
      Effect: 'Allow',
      Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      Resource: [`${glue}:catalog`, `${glue}:database/${refs.athenaDatabase}`, ...refs.athenaTables.map((t) => `${glue}:table/${refs.athenaDatabase}/${t}`)],
    },
    // Athena writes and reads query results with the caller's credentials.
    { Sid: 'AthenaResultsBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: refs.athenaResultsBucketArn },
    {
      Sid: 'AthenaResultsStaging',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: `${refs.athenaResultsBucketArn}/${ATHENA_STAGING_PREFIX}*`,
    },
    // The tables' own data, read-only: Athena scans it with the caller's credentials.
    ...(refs.athenaDataLocations ?? []).flatMap((uri, i): PolicyStatement[] => {
      const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri) ?? [];
      return [
        {
          Sid: `AthenaSourceList${i}`,
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation'],
          Resource: `arn:${refs.partition}:s3:::${bucket}`,
          ...(prefix ? { Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
        },
        { Sid: `AthenaSourceRead${i}`, Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:${refs.partition}:s3:::${bucket}/${prefix}*` },
      ];
    }),
  ];
}

/** Use of the stack key through S3 (SSE-KMS objects and Athena results); Encrypt is not needed for that. */
export function stackKeyStatement(kmsKeyArn: string): PolicyStatement {
  return { Sid: 'StackKeyForS3Objects', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: kmsKeyArn };
}

/** Writing to the function's own log group. */
export function logStatement(logGroupArn: string): PolicyStatement {
  return { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupArn}:*` };
}

/** What the scoring policy needs, resolved. */
export interface ScoringPolicyRefs extends AthenaRefs {
  readonly audioBucket: string;
  readonly audioPrefix: string;
  readonly storyBucket: string;
  readonly storyKey: string;
  readonly resultsBucketArn: string;
  readonly kmsKeyArn: string;
  readonly appsyncSecretName: string;
  readonly queueArn: string;
  readonly logGroupArn: string;
  /** Set on the Triton path. */
  readonly tritonCaSecretArn?: string;
}

/** The scoring role's policy: only what the handler calls, on only this stack's resources. */
export function scoringPolicyDocument(refs: ScoringPolicyRefs): PolicyDocument {
  const s3 = `arn:${refs.partition}:s3:::`;
  const secrets = [`arn:${refs.partition}:secretsmanager:${refs.region}:${refs.accountId}:secret:${refs.appsyncSecretName}-*`];
  if (refs.tritonCaSecretArn) secrets.push(refs.tritonCaSecretArn);
  const statements: PolicyStatement[] = [
    { Sid: 'ReadAudioUnderPrefix', Effect: 'Allow', Action: 's3:GetObject', Resource: `${s3}${refs.audioBucket}/${refs.audioPrefix}*` },
    {
      Sid: 'ListAudioUnderPrefix',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `${s3}${refs.audioBucket}`,
      Condition: { StringLike: { 's3:prefix': `${refs.audioPrefix}*` } },
    },
    { Sid: 'ReadStoryTable', Effect: 'Allow', Action: 's3:GetObject', Resource: `${s3}${refs.storyBucket}/${refs.storyKey}` },
    // The sink deletes the old completion marker before writing the new files.
    { Sid: 'WriteResults', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `${refs.resultsBucketArn}/${RESULTS_PREFIX}*` },
    stackKeyStatement(refs.kmsKeyArn),
    { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secrets },
    ...athenaStatements(refs),
    {
      Sid: 'ConsumeScoringQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      Resource: refs.queueArn,
    },
    // PutMetricData has no resource type: "*" is the only Resource IAM accepts; the namespace condition is the scope.
    { Sid: 'PutReadScoreMetrics', Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringLike: { 'cloudwatch:namespace': 'ReadScore/*' } } },
    logStatement(refs.logGroupArn),
  ];
  if (refs.tritonCaSecretArn) {
    // What AWSLambdaVPCAccessExecutionRole grants: Lambda manages the function's ENIs with the
    // execution role, and these EC2 actions support no resource-level scoping ("*" is required).
    statements.push({
      Sid: 'LambdaVpcNetworkInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The scoring function's environment: setting names only, never secret values. */
export function scoringEnvironment(v: {
  config: StackConfig;
  resultsBucket: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  workgroup: pulumi.Input<string>;
  triton?: Pick<TritonTarget, 'url' | 'caSecretName'>;
}): Record<string, pulumi.Input<string>> {
  const { config } = v;
  return {
    READSCORE_ENGINE: config.engine,
    READSCORE_AUDIO_BUCKET: config.audioBucket,
    READSCORE_AUDIO_PREFIX: config.audioPrefix,
    READSCORE_STORY_BUCKET: config.storyBucket,
    READSCORE_STORY_KEY: config.storyKey,
    READSCORE_RESULTS_BUCKET: v.resultsBucket,
    // Pinned so the writer's prefix and the role's results/* grant cannot drift apart.
    READSCORE_RESULTS_PREFIX: RESULTS_PREFIX,
    READSCORE_RESULTS_KMS_KEY_ID: v.kmsKeyArn,
    READSCORE_ATHENA_WORKGROUP: v.workgroup,
    READSCORE_ATHENA_DATABASE: config.athenaDatabase,
    READSCORE_APPSYNC_SECRET: config.appsyncSecretName,
    ...(v.triton ? { READSCORE_TRITON_URL: v.triton.url, READSCORE_TRITON_CA_SECRET: v.triton.caSecretName, READSCORE_TRITON_FALLBACK_CPU: 'true' } : {}),
  };
}

/** The ECR lifecycle policy keeping the newest {@link IMAGE_HISTORY} images. */
export function imageLifecyclePolicy(): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `keep the newest ${IMAGE_HISTORY} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: IMAGE_HISTORY },
        action: { type: 'expire' },
      },
    ],
  });
}

/** The scoring Lambda with its image, role, log group and SQS event source. */
export class ScoringFunction extends pulumi.ComponentResource {
  /** The stack's repository; only when the config gives `imageTag`. */
  readonly repository?: aws.ecr.Repository;
  /** The image the function (and the enqueuer) runs. */
  readonly imageUri: pulumi.Output<string>;
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly fn: aws.lambda.Function;
  readonly eventSourceMapping: aws.lambda.EventSourceMapping;

  constructor(name: string, args: ScoringFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:ScoringFunction', name, {}, opts);
    validateScoringFunctionArgs(args);
    const { config, tags, storage, queue, triton } = args;
    const child = { parent: this };
    const partition = aws.getPartitionOutput({}, child).partition;
    const region = aws.getRegionOutput({}, child).region;
    const accountId = aws.getCallerIdentityOutput({}, child).accountId;
    const functionName = resourceName(config, 'score');

    if (config.imageTag) {
      const repository = new aws.ecr.Repository(
        `${name}-repo`,
        {
          name: resourceName(config, 'lambda'),
          imageTagMutability: 'IMMUTABLE',
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: 'KMS', kmsKey: storage.kmsKey.arn }],
          forceDelete: false,
          tags,
        },
        child,
      );
      new aws.ecr.LifecyclePolicy(`${name}-repo-lifecycle`, { repository: repository.name, policy: imageLifecyclePolicy() }, child);
      // Lambda pulls with its service principal; scoped to this stack's functions.
      new aws.ecr.RepositoryPolicy(
        `${name}-repo-policy`,
        {
          repository: repository.name,
          policy: pulumi.all([partition, region, accountId]).apply(([p, r, a]) =>
            JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'LambdaPullsStackImages',
                  Effect: 'Allow',
                  Principal: { Service: 'lambda.amazonaws.com' },
                  Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
                  Condition: { StringLike: { 'aws:sourceArn': `arn:${p}:lambda:${r}:${a}:function:${resourceName(config, '*')}` } },
                },
              ],
            }),
          ),
        },
        child,
      );
      this.repository = repository;
      this.imageUri = pulumi.interpolate`${repository.repositoryUrl}:${config.imageTag}`;
    } else {
      this.imageUri = pulumi.output(config.imageUri as string);
    }

    ({ logGroup: this.logGroup, role: this.role } = lambdaLogsAndRole(name, functionName, 'score-role', { config, storage, tags }, child));
    this.rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .output({
            partition,
            region,
            accountId,
            workgroupArn: storage.athenaWorkgroup.arn,
            athenaResultsBucketArn: storage.athenaResultsBucket.arn,
            resultsBucketArn: storage.resultsBucket.arn,
            kmsKeyArn: storage.kmsKey.arn,
            queueArn: queue.queue.arn,
            logGroupArn: this.logGroup.arn,
            tritonCaSecretArn: triton ? triton.caSecretArn : '',
          })
          .apply((refs) =>
            JSON.stringify(
              scoringPolicyDocument({
                partition: refs.partition,
                region: refs.region,
                accountId: refs.accountId,
                workgroupArn: refs.workgroupArn,
                athenaResultsBucketArn: refs.athenaResultsBucketArn,
                resultsBucketArn: refs.resultsBucketArn,
                kmsKeyArn: refs.kmsKeyArn,
                queueArn: refs.queueArn,
                logGroupArn: refs.logGroupArn,
                athenaDatabase: config.athenaDatabase,
                athenaTables: config.athenaTables,
                athenaDataLocations: config.athenaDataLocations,
                audioBucket: config.audioBucket,
                audioPrefix: config.audioPrefix,
                storyBucket: config.storyBucket,
                storyKey: config.storyKey,
                appsyncSecretName: config.appsyncSecretName,
                ...(refs.tritonCaSecretArn ? { tritonCaSecretArn: refs.tritonCaSecretArn } : {}),
              }),
            ),
          ),
      },
      child,
    );

    this.fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: functionName,
        description: `ReadScore ${config.environment}: scores one activity per SQS message (${config.engine})`,
        packageType: 'Image',
        imageUri: this.imageUri,
        architectures: [config.architecture],
        role: this.role.arn,
        memorySize: config.lambdaMemoryMb,
        timeout: config.lambdaTimeoutSec,
        reservedConcurrentExecutions: config.reservedConcurrency,
        environment: {
          variables: scoringEnvironment({
            config,
            resultsBucket: storage.resultsBucket.bucket,
            kmsKeyArn: storage.kmsKey.arn,
            workgroup: storage.athenaWorkgroup.name,
            ...(triton ? { triton } : {}),
          }),
        },
        // Text: Powertools already writes JSON, and a JSON-format level filter could drop EMF lines.
        loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
        // The CPU path stays out of a VPC for fast cold starts; Triton sits behind an internal ALB.
        ...(triton ? { vpcConfig: { subnetIds: triton.subnetIds, securityGroupIds: [triton.securityGroupId] } } : {}),
        tags,
      },
      // The log group must exist before the first log line, the policy before the first pull of work.
      { parent: this, dependsOn: [this.logGroup, this.rolePolicy] },
    );

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-sqs`,
      {
        eventSourceArn: queue.queue.arn,
        functionName: this.fn.arn,
        enabled: true,
        // One activity per invocation: parallelism comes from Lambda scaling, failures stay per message.
        batchSize: 1,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: eventSourceMaxConcurrency(config) },
        tags,
      },
      // AWS checks the role can receive from the queue when the mapping is created.
      { parent: this, dependsOn: [this.rolePolicy] },
    );

    this.registerOutputs({ functionName: this.fn.name, functionArn: this.fn.arn, imageUri: this.imageUri, roleArn: this.role.arn, logGroup: this.logGroup.name });
  }
}
