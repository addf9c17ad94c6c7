/**
 * Triton engine configuration, parsed and validated once. HTTPS only: `http://` and plaintext
 * gRPC are refused here, and there is deliberately no option to skip certificate verification.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors';

/** Where the CA bundle that verifies the server comes from. */
export type CaSource = { file: string } | { pem: string } | { secret: string };

/** Validated Triton engine settings. */
export interface TritonConfig {
  /** The URL as given, e.g. `https://triton.internal:443`. */
  readonly url: string;
  /** `host:port` for the gRPC channel. */
  readonly target: string;
  /** Host name the server certificate must be valid for. */
  readonly host: string;
  readonly ca: CaSource;
  /** Client certificate and key (mTLS), PEM files. */
  readonly clientCert?: { certFile: string; keyFile: string };
  /** Deadline of each call attempt. */
  readonly deadlineMs: number;
  readonly retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  readonly breaker: { failureThreshold: number; resetAfterMs: number };
  /** Run on the local CPU engine while the breaker is open. */
  readonly fallbackToCpu: boolean;
  /** Largest batch the server's model config accepts; larger activities are split. */
  readonly maxBatchSize: number;
}

const schema = z.object({
  url: z.string().min(1),
  ca: z.union([z.object({ file: z.string().min(1) }), z.object({ pem: z.string().min(1) }), z.object({ secret: z.string().min(1) })], {
    errorMap: () => ({ message: 'a CA bundle is required to verify the server: give a file (--ca), PEM text, or a Secrets Manager secret' }),
  }),
  clientCert: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  deadlineMs: z.number().int().positive().default(10_000),
  retry: z
    .object({ attempts: z.number().int().min(1).max(10).default(3), baseDelayMs: z.number().nonnegative().default(50), maxDelayMs: z.number().nonnegative().default(1000) })
    .default({}),
  breaker: z.object({ failureThreshold: z.number().int().min(1).default(5), resetAfterMs: z.number().int().positive().default(30_000) }).default({}),
  fallbackToCpu: z.boolean().default(false),
  maxBatchSize: z.number().int().min(1).default(32),
});

/** The raw settings before validation. */
export type TritonConfigInput = z.input<typeof schema>;

/** Parses a Triton URL: only `https://` and `grpcs://` are accepted. */
export function parseTritonUrl(url: string): { target: string; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('bad-url', url, 'not a URL; expected https://host:port');
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'grpc:') {
    throw new ConfigError('https-required', url, 'HTTPS is required: plaintext connections to Triton are refused; use https://host:port');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'grpcs:') {
    throw new ConfigError('bad-url', url, `unsupported scheme "${parsed.protocol}"; HTTPS is required (https://host:port)`);
  }
  if (!parsed.hostname) throw new ConfigError('bad-url', url, 'the URL has no host');
  if (parsed.pathname !== '/' && parsed.pathname !== '') throw new ConfigError('bad-url', url, 'a Triton URL has no path; expected https://host:port');
  const port = parsed.port || '443';
  return { target: `${parsed.hostname}:${port}`, host: parsed.hostname.replace(/^\[|\]$/g, '') };
}

/** Validates Triton settings; errors name the setting. */
export function parseTritonConfig(input: TritonConfigInput): TritonConfig {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError('bad-triton-config', `triton.${issue?.path.join('.') ?? ''}`, issue?.message ?? 'invalid');
  }
  const { target, host } = parseTritonUrl(parsed.data.url);
  return { ...parsed.data, target, host } as TritonConfig;
}
