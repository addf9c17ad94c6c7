/**
 * The stack configuration (`readscore:*` keys of `Pulumi.<stack>.yaml`), typed and validated once.
 * `parseStackConfig` is pure (tests feed it each stack file); `loadStackConfig` reads Pulumi's config.
 */
import { z } from 'zod';

/** The engine a stack deploys; `readscore:engine` selects it. */
export const StackEngine = { Cpu: 'cpu', Triton: 'triton' } as const;
export type StackEngine = (typeof StackEngine)[keyof typeof StackEngine];

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
const prefix = z
  .string()
  .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, 'must be empty or a key prefix ending in "/"')
  .default('');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
]);

/** The schema of the `readscore:*` keys (without the namespace). */
export const stackConfigSchema = z
  .object({
    engine: z.enum(['cpu', 'triton'], { errorMap: () => ({ message: 'must be cpu or triton' }) }),
    /** dev, staging, prod: tags, names and the prod-only rules. Defaults to the stack name. */
    environment: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be a short lower-case name such as dev or prod'),
    owner: z.string().min(1, 'is required (tag owner)'),
    costCenter: z.string().min(1, 'is required (tag cost-center)'),

    // The image: a pushed image URI, or an ECR repository this stack creates plus the tag CI pushes.
    imageUri: z
      .string()
      .regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, 'must be an ECR image URI')
      .optional(),
    imageTag: z
      .string()
      .regex(/^[\w.-]{1,128}$/, 'must be an image tag')
      .optional(),
    architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),

    lambdaMemoryMb: int(512, 10240).default(3008),
    lambdaTimeoutSec: int(10, 900).default(120),
    reservedConcurrency: int(1, 1000).default(50),
    /** SQS event source maximum concurrency (2..1000); defaults to the reserved concurrency. */
    maxConcurrency: int(2, 1000).optional(),
    maxReceiveCount: int(1, 5).default(3),
    logRetentionDays: z.coerce
      .number()
      .pipe(z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)]))
      .default(30),

    // Data the service reads (owned by the tutoring app) and names it uses.
    audioBucket: bucketName,
    audioPrefix: prefix,
    storyBucket: bucketName,
    storyKey: z.string().min(1),
    athenaDatabase: z.string().regex(/^[a-z0-9_]+$/, 'must be a Glue database name'),
    /** Glue tables the enqueuer and the scorer query (the view activity_v and what it reads). */
    athenaTables: list.default(['activity_v']),
    /** `s3://bucket/prefix/` where those tables' data lives: Athena reads it with the caller's credentials. */
    athenaDataLocations: list.pipe(z.array(z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^*]*\/)?$/, 'must be s3://bucket/ or s3://bucket/prefix/'))).default([]),
    /** Secrets Manager secret `{url, api_key}` of the product's AppSync API (created outside the stack). */
    appsyncSecretName: z.string().min(1),
    enqueueSchedule: z
      .string()
      .regex(/^(cron|rate)\(.+\)$/, 'must be an EventBridge cron(...) or rate(...) expression')
      .default('cron(0 6 * * ? *)'),
    alarmEmail: z.string().email('must be an e-mail address').optional(),
    resultsTransitionDays: int(30, 3650).default(90),

    // GPU fleet (engine triton only).
    vpcCidr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/, 'must be an IPv4 CIDR /16../24')
      .default('10.40.0.0/16'),
    gpuInstanceTypes: list.default(['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge']),
    onDemandBase: int(0, 50).default(1),
    maxInstances: int(1, 100).default(4),
    tritonDesiredCount: int(1, 100).default(1),
    tritonImage: z.string().min(1).default('nvcr.io/nvidia/tritonserver:24.08-py3'),
    /** `s3://bucket/prefix/` of the Triton model repository (`readscore triton-repo` writes it). */
    modelRepositoryUri: z
      .string()
      .regex(/^s3:\/\/[a-z0-9.-]+\/.*$/, 'must be an s3:// URI')
      .optional(),
    certValidityDays: int(30, 825).default(365),
    // Longer than the certificate-expiry alarm’s 30 days, so a routine `pulumi up` rotates before it fires.
    certEarlyRenewalDays: int(7, 180).default(45),

    // CI deploy identity (GitHub OIDC); omitted = no deploy role in this stack.
    githubRepository: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name')
      .optional(),
    githubBranch: z.string().min(1).default('main'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.imageUri && !c.imageTag)
      ctx.addIssue({ code: 'custom', path: ['imageUri'], message: 'give imageUri (a pushed image) or imageTag (the tag CI pushes to the stack’s ECR repository)' });
    if (c.imageUri && c.imageTag) ctx.addIssue({ code: 'custom', path: ['imageTag'], message: 'give imageUri or imageTag, not both' });
    if (c.environment === 'prod' && !c.alarmEmail) ctx.addIssue({ code: 'custom', path: ['alarmEmail'], message: 'is required in prod: alarms must reach someone' });
    if (c.engine === 'triton' && !c.modelRepositoryUri)
      ctx.addIssue({ code: 'custom', path: ['modelRepositoryUri'], message: 'is required with engine triton (s3:// model repository for Triton)' });
    if (c.maxConcurrency !== undefined && c.maxConcurrency > c.reservedConcurrency)
      ctx.addIssue({ code: 'custom', path: ['maxConcurrency'], message: `must not exceed reservedConcurrency (${c.reservedConcurrency})` });
    if (c.certEarlyRenewalDays >= c.certValidityDays) ctx.addIssue({ code: 'custom', path: ['certEarlyRenewalDays'], message: 'must be shorter than certValidityDays' });
  });

/** The validated stack configuration. */
export type StackConfig = z.infer<typeof stackConfigSchema> & { readonly stack: string };

/** A configuration error naming the `readscore:` key. */
export class StackConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`readscore:${key}: ${message}`);
    this.name = 'StackConfigError';
  }
}

/**
 * Validates raw `readscore:*` values (namespace stripped or not). `environment` defaults to the stack
 * name. Throws StackConfigError naming the first bad or missing key.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, unknown>>): StackConfig {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.includes(':') && !key.startsWith('readscore:')) continue; // aws:region and other providers' keys
    values[key.replace(/^readscore:/, '')] = value;
  }
  values.environment ??= stack;
  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || '(config)';
    const message = issue?.code === 'invalid_type' && issue.received === 'undefined' ? 'is required' : (issue?.message ?? 'is invalid');
    throw new StackConfigError(key, message);
  }
  return { ...parsed.data, stack };
}
