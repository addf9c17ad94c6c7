/**
 * The scheduled enqueuer: the scoring image with the enqueue handler, run by an EventBridge rule,
 * querying Athena in the stack's workgroup and sending to the scoring queue only.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import type { ScoringQueue } from './queue';
import { athenaStatements, lambdaLogsAndRole, logStatement, stackKeyStatement } from './scoringFunction';
import { ComponentArgsError, type PolicyDocument, type Storage } from './storage';
import { resourceName, type Tags } from './tags';

/** The enqueue handler in the shared image (overrides the image's CMD). */
export const ENQUEUE_HANDLER = 'dist/handlers/lambda/enqueue.handler';
/** One run queries a day of activities and sends them in batches of 10: small and short. */
export const ENQUEUER_MEMORY_MB = 512;
export const ENQUEUER_TIMEOUT_SEC = 300;
/** One run at a time: overlapping runs would enqueue the same day twice. */
export const ENQUEUER_CONCURRENCY = 1;

/** Arguments of {@link Enqueuer}. */
export interface EnqueuerArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
  readonly storage: Storage;
  readonly queue: ScoringQueue;
  /** The scoring function's image (ScoringFunction.imageUri). */
  readonly imageUri: pulumi.Input<string>;
}

/** Checks {@link EnqueuerArgs} before any resource is declared; throws ComponentArgsError. */
export function validateEnqueuerArgs(args: EnqueuerArgs): void {
  const fail = (arg: string, message: string): never => {
    throw new ComponentArgsError('Enqueuer', arg, message);
  };
  if (!args?.config) fail('args.config', 'is required');
  if (!args.tags) fail('args.tags', 'is required');
  if (!args.storage) fail('args.storage', 'is required');
  if (!args.queue) fail('args.queue', 'is required');
  if (!args.imageUri) fail('args.imageUri', 'is required (the scoring image, which also holds the enqueue handler)');
  if (!/^(cron|rate)\(.+\)$/.test(args.config.enqueueSchedule))
    fail('args.config.enqueueSchedule', `must be an EventBridge cron(...) or rate(...) expression, got ${args.config.enqueueSchedule}`);
}

/** What the enqueuer policy needs, resolved. */
export interface EnqueuerPolicyRefs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workgroupArn: string;
  readonly athenaDatabase: string;
  readonly athenaTables: readonly string[];
  readonly athenaDataLocations?: readonly string[];
  readonly athenaResultsBucketArn: string;
  readonly kmsKeyArn: string;
  readonly queueArn: string;
  readonly logGroupArn: string;
}

/** The enqueuer role's policy: query in the workgroup, send to the scoring queue, write its logs. */
export function enqueuerPolicyDocument(refs: EnqueuerPolicyRefs): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      ...athenaStatements(refs),
      // Athena results are SSE-KMS with the stack key.
      stackKeyStatement(refs.kmsKeyArn),
      // SendMessageBatch is authorised as sqs:SendMessage.
      { Sid: 'SendToScoringQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: refs.queueArn },
      logStatement(refs.logGroupArn),
    ],
  };
}

/** The enqueuer Lambda, its role and log group, and the schedule that runs it. */
export class Enqueuer extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly fn: aws.lambda.Function;
  readonly rule: aws.cloudwatch.EventRule;
  readonly target: aws.cloudwatch.EventTarget;
  readonly permission: aws.lambda.Permission;

  constructor(name: string, args: EnqueuerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:Enqueuer', name, {}, opts);
    validateEnqueuerArgs(args);
    const { config, tags, storage, queue } = args;
    const child = { parent: this };
    const functionName = resourceName(config, 'enqueue');

    ({ logGroup: this.logGroup, role: this.role } = lambdaLogsAndRole(name, functionName, 'enqueue-role', { config, storage, tags }, child));
    this.rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .output({
            partition: aws.getPartitionOutput({}, child).partition,
            region: aws.getRegionOutput({}, child).region,
            accountId: aws.getCallerIdentityOutput({}, child).accountId,
            workgroupArn: storage.athenaWorkgroup.arn,
            athenaResultsBucketArn: storage.athenaResultsBucket.arn,
            kmsKeyArn: storage.kmsKey.arn,
            queueArn: queue.queue.arn,
            logGroupArn: this.logGroup.arn,
          })
          .apply((refs) =>
            JSON.stringify(
              enqueuerPolicyDocument({ ...refs, athenaDatabase: config.athenaDatabase, athenaTables: config.athenaTables, athenaDataLocations: config.athenaDataLocations }),
            ),
          ),
      },
      child,
    );

    this.fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: functionName,
        description: `ReadScore ${config.environment}: sends the day's activities to the scoring queue`,
        packageType: 'Image',
        imageUri: args.imageUri,
        imageConfig: { commands: [ENQUEUE_HANDLER] },
        architectures: [config.architecture],
        role: this.role.arn,
        memorySize: ENQUEUER_MEMORY_MB,
        timeout: ENQUEUER_TIMEOUT_SEC,
        reservedConcurrentExecutions: ENQUEUER_CONCURRENCY,
        environment: {
          variables: {
            READSCORE_ATHENA_WORKGROUP: storage.athenaWorkgroup.name,
            READSCORE_ATHENA_DATABASE: config.athenaDatabase,
            READSCORE_SCORING_QUEUE_URL: queue.queue.url,
          },
        },
        loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
        tags,
      },
      { parent: this, dependsOn: [this.logGroup, this.rolePolicy] },
    );

    this.rule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      { name: resourceName(config, 'enqueue-schedule'), description: 'Runs the ReadScore enqueuer', scheduleExpression: config.enqueueSchedule, state: 'ENABLED', tags },
      child,
    );
    this.permission = new aws.lambda.Permission(
      `${name}-invoke`,
      { action: 'lambda:InvokeFunction', function: this.fn.name, principal: 'events.amazonaws.com', sourceArn: this.rule.arn },
      child,
    );
    this.target = new aws.cloudwatch.EventTarget(
      `${name}-target`,
      { rule: this.rule.name, arn: this.fn.arn },
      // Without the permission the first scheduled run would be refused.
      { parent: this, dependsOn: [this.permission] },
    );

    this.registerOutputs({ functionName: this.fn.name, functionArn: this.fn.arn, ruleArn: this.rule.arn });
  }
}
