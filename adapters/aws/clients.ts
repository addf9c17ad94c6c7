/**
 * The AWS SDK clients of one container (S3, SQS, Athena, Secrets Manager), built once by the
 * composition root with the same region, retry policy and HTTP timeouts.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';

/** Defaults of {@link AwsClientsConfig}. */
export const AWS_CLIENT_DEFAULTS = {
  /** Tries per call, the first included: the SDK retries 5xx, throttling and timeouts. */
  maxAttempts: 3,
  /** Time to open a TCP/TLS connection, ms. */
  connectionTimeoutMs: 3_000,
  /** Time for a request and its response headers, ms. */
  requestTimeoutMs: 30_000,
} as const;

/** Settings shared by every client of {@link createAwsClients}. */
export interface AwsClientsConfig {
  readonly region: string;
  /** A local endpoint (tests: `http://127.0.0.1:<port>`); S3 then uses path-style addressing. */
  readonly endpoint?: string;
  /** Tries per call, the first included (default 3). */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Static credentials, for tests against a local endpoint only; production uses the role. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** The clients of one container. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly athena: AthenaClient;
  readonly secrets: SecretsManagerClient;
}

const timeoutMs = z.number().int().positive().max(600_000);

const configSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
  endpoint: z
    .string()
    .url('must be a URL')
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .optional(),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  connectionTimeoutMs: timeoutMs.optional(),
  requestTimeoutMs: timeoutMs.optional(),
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().min(1).optional() }).optional(),
});

/**
 * Builds the four clients with `retryMode: 'standard'` and a NodeHttpHandler bounded by the
 * connection and request timeouts. Throws ConfigError naming the first invalid field.
 *
 * @example
 * const aws = createAwsClients({ region: 'eu-west-1' });
 * const store = new S3SegmentStore(aws.s3, { bucket, maxSegmentBytes });
 */
export function createAwsClients(config: AwsClientsConfig): AwsClients {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    // Field names only: a credential value must never reach a message.
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError('invalid-aws-config', 'AwsClientsConfig', fields);
  }
  const c = parsed.data;
  const common = {
    region: c.region,
    maxAttempts: c.maxAttempts ?? AWS_CLIENT_DEFAULTS.maxAttempts,
    retryMode: 'standard',
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.credentials ? { credentials: c.credentials } : {}),
  } as const;
  // The SDK builds a NodeHttpHandler from these options (one per client, keep-alive agent).
  const requestHandler = () => ({
    connectionTimeout: c.connectionTimeoutMs ?? AWS_CLIENT_DEFAULTS.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs ?? AWS_CLIENT_DEFAULTS.requestTimeoutMs,
    // Without this a request past requestTimeout only logs a warning and is never retried.
    throwOnRequestTimeout: true,
  });
  return {
    s3: new S3Client({ ...common, requestHandler: requestHandler(), forcePathStyle: c.endpoint !== undefined }),
    sqs: new SQSClient({ ...common, requestHandler: requestHandler() }),
    athena: new AthenaClient({ ...common, requestHandler: requestHandler() }),
    secrets: new SecretsManagerClient({ ...common, requestHandler: requestHandler() }),
  };
}
