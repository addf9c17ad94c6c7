/**
 * The AppSync results sink: sends the `UpdateActivityFields` mutation (domain.md §4) over verified
 * TLS with the API key from Secrets Manager, retrying transient failures. A GraphQL `errors` answer is
 * a failure, never a success (domain.md §6.5).
 */
import { Agent, request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { z } from 'zod';
import { type ActivityResultV1, validateActivityResult } from '../../core/contracts/activityResult';
import { appsyncVariables, UPDATE_ACTIVITY_MUTATION } from '../../core/contracts/appsyncVariables';
import { ConfigError, ReadScoreFault } from '../../core/errors';
import type { ResultMeta, ResultSink } from '../../core/ports/resultSink';

/** Reason codes of {@link AppSyncError}. */
export const AppSyncErrorCode = {
  /** A non-2xx status (429 and 5xx are retried; other 4xx fail at once). */
  HttpStatus: 'http-status',
  /** A response with a GraphQL `errors` array, whatever its HTTP status. */
  GraphqlErrors: 'graphql-errors',
  /** No complete response within `timeoutMs`. */
  Timeout: 'timeout',
  /** Connection, DNS or TLS failure (TLS verification failures are not retried). */
  Network: 'network',
  /** A 2xx response that is not JSON or does not confirm the activity that was sent. */
  BadResponse: 'bad-response',
} as const;
export type AppSyncErrorCode = (typeof AppSyncErrorCode)[keyof typeof AppSyncErrorCode];

/** A failed AppSync update; `input` names the activity and the endpoint host, never the API key. */
export class AppSyncError extends ReadScoreFault {
  declare readonly code: AppSyncErrorCode;
  readonly input: string;
  /** Whether another attempt could succeed (429, 5xx, timeouts, connection errors). */
  readonly retryable: boolean;
  /** Attempts made, this one included. */
  readonly attempts: number;
  /** HTTP status, when a response came. */
  readonly status: number | undefined;
  /** GraphQL error messages (`errorType: message`), when the response had any. */
  readonly messages: readonly string[];
  constructor(
    code: AppSyncErrorCode,
    input: string,
    message: string,
    details: { retryable: boolean; attempts: number; status?: number; messages?: readonly string[]; cause?: unknown },
  ) {
    super(code, `${input}: ${message} (attempt ${details.attempts})`, { cause: details.cause });
    this.input = input;
    this.retryable = details.retryable;
    this.attempts = details.attempts;
    this.status = details.status;
    this.messages = details.messages ?? [];
  }
}

/** The AppSync secret: `{url, api_key}`. */
export const appSyncSecretSchema = z.object({ url: z.string().url(), api_key: z.string().min(1) });
/** The decoded AppSync secret. */
export type AppSyncSecret = z.infer<typeof appSyncSecretSchema>;

/** Reads a JSON secret and validates it (a `SecretsCache` fits). */
export interface SecretJsonReader {
  json<T>(secretId: string, schema: z.ZodType<T>): Promise<T>;
}

/** Options of {@link AppSyncResultSink}. */
export interface AppSyncResultSinkOptions {
  readonly secrets: SecretJsonReader;
  /** Name or ARN of the `{url, api_key}` secret. */
  readonly secretName: string;
  /** Limit of one attempt, connection to last byte, ms (default 5000). */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt, doubling after (default 200 ms, at most `maxDelayMs`). */
  readonly baseDelayMs?: number;
  /** Cap of one backoff, also of a honoured `Retry-After` (default 2000 ms). */
  readonly maxDelayMs?: number;
  /** An extra CA to trust, PEM, on top of the system roots (tests: the stand-in's CA). */
  readonly ca?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Certificate errors that another attempt will not mend. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface HttpAnswer {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

type Attempt =
  | { ok: true }
  | { ok: false; code: AppSyncErrorCode; message: string; retryable: boolean; status?: number; messages?: string[]; retryAfterMs?: number; cause?: unknown };

class AttemptTimeout extends Error {}
class ResponseTooLarge extends Error {}

/**
 * Sends each result to AppSync as `UpdateActivityFields`. One keep-alive agent per sink (reused across
 * warm invocations); call {@link close} when done with it. The mutation sets fields, so a retried
 * request that had reached AppSync does no harm.
 */
export class AppSyncResultSink implements ResultSink {
  readonly name = 'appsync';
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AppSyncResultSinkOptions) {
    const positive = (name: keyof AppSyncResultSinkOptions, value: number, integer = false) => {
      if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
        throw new ConfigError('bad-option', `AppSyncResultSink.${name}`, `must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
      }
      return value;
    };
    if (options.secretName.length === 0) throw new ConfigError('bad-option', 'AppSyncResultSink.secretName', 'is empty');
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5000);
    this.maxAttempts = positive('maxAttempts', options.maxAttempts ?? 3, true);
    this.baseDelayMs = positive('baseDelayMs', options.baseDelayMs ?? 200);
    this.maxDelayMs = positive('maxDelayMs', options.maxDelayMs ?? 2000);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    // Passing `ca` replaces Node's trust store, so the extra CA is added to the system roots.
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) });
  }

  /** Sends the mutation for `result`; throws {@link AppSyncError} once retries are spent or on a non-retryable failure. */
  async write(result: ActivityResultV1, _meta: ResultMeta): Promise<void> {
    const valid = validateActivityResult(result, `result ${String((result as { activityId?: unknown } | undefined)?.activityId ?? '(no activityId)')}`);
    const secret = await this.options.secrets.json(this.options.secretName, appSyncSecretSchema);
    const url = new URL(secret.url);
    if (url.protocol !== 'https:') {
      throw new ConfigError('insecure-url', this.options.secretName, `the AppSync url must be https:// (it is ${url.protocol}//); TLS is required`);
    }
    const variables = appsyncVariables(valid);
    const body = JSON.stringify({ query: UPDATE_ACTIVITY_MUTATION, variables });
    const input = `AppSync updateActivity(${valid.activityId}) at ${url.host}`;
    const redact = (text: string) => text.split(secret.api_key).join('[redacted]');
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(url, secret.api_key, body, valid.activityId);
      if (outcome.ok) return;
      const last = attempt >= this.maxAttempts || !outcome.retryable;
      if (last) {
        throw new AppSyncError(outcome.code, input, redact(outcome.message), {
          retryable: outcome.retryable,
          attempts: attempt,
          status: outcome.status,
          messages: outcome.messages?.map(redact),
          cause: outcome.cause,
        });
      }
      const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      // Equal jitter: at least half the backoff, so retries of many Lambdas spread out.
      const delay = Math.max(backoff / 2 + (Math.random() * backoff) / 2, Math.min(this.maxDelayMs, outcome.retryAfterMs ?? 0));
      await this.sleep(Math.round(delay));
    }
  }

  /** Releases the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async attempt(url: URL, apiKey: string, body: string, activityId: string): Promise<Attempt> {
    let answer: HttpAnswer;
    try {
      answer = await this.post(url, apiKey, body);
    } catch (error) {
      return this.failure(error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    const messages = graphqlMessages(parsed);
    const { status } = answer;
    if (status === 429 || status >= 500) {
      const seconds = Number(answer.retryAfter);
      return { ok: false, code: 'http-status', message: `HTTP ${status}`, retryable: true, status, messages, retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined };
    }
    if (status < 200 || status >= 300) {
      return { ok: false, code: 'http-status', message: `HTTP ${status}${messages.length ? `: ${messages.join('; ')}` : ''}`, retryable: false, status, messages };
    }
    if (parsed === undefined) return { ok: false, code: 'bad-response', message: `HTTP ${status} with a body that is not JSON`, retryable: false, status };
    if (messages.length > 0) return { ok: false, code: 'graphql-errors', message: `GraphQL errors: ${messages.join('; ')}`, retryable: false, status, messages };
    const errors = (parsed as { errors?: unknown }).errors;
    if (errors !== undefined && errors !== null && !(Array.isArray(errors) && errors.length === 0)) {
      return { ok: false, code: 'bad-response', message: 'the errors field is not an array of errors', retryable: false, status };
    }
    const confirmed = (parsed as { data?: { updateActivity?: { activityId?: unknown } | null } | null }).data?.updateActivity?.activityId;
    if (confirmed !== activityId) {
      const got = typeof confirmed === 'string' ? `activity ${confirmed.slice(0, 40)}` : 'no activity';
      return { ok: false, code: 'bad-response', message: `the response confirms ${got}, not the one sent`, retryable: false, status };
    }
    return { ok: true };
  }

  private failure(error: unknown): Attempt {
    if (error instanceof AttemptTimeout) return { ok: false, code: 'timeout', message: `no response within ${this.timeoutMs} ms`, retryable: true };
    if (error instanceof ResponseTooLarge) return { ok: false, code: 'bad-response', message: `response larger than ${MAX_RESPONSE_BYTES} bytes`, retryable: false };
    const code = String((error as { code?: unknown }).code ?? (error as Error).name ?? 'unknown');
    if (TLS_VERIFY_CODES.has(code)) return { ok: false, code: 'network', message: `TLS verification failed (${code})`, retryable: false, cause: error };
    return { ok: false, code: 'network', message: `connection failed (${code})`, retryable: true, cause: error };
  }

  private post(url: URL, apiKey: string, body: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': apiKey,
        },
      });
      // The whole exchange, not just socket idleness: a server that trickles bytes still times out.
      // `cause` keeps our own reason: destroying a request surfaces as a reset on the response.
      let cause: Error | undefined;
      const abort = (error: Error) => {
        cause ??= error;
        req.destroy(error);
      };
      const fail = (error: unknown) => {
        clearTimeout(timer);
        reject(cause ?? error);
      };
      // Rejects by itself too, so no sequence of socket events can leave the attempt pending.
      const timer = setTimeout(() => {
        abort(new AttemptTimeout());
        fail(cause);
      }, this.timeoutMs);
      req.on('error', fail);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) abort(new ResponseTooLarge());
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          if (cause) return reject(cause);
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }
}

/** `errorType: message` of each GraphQL error in a response body (empty when there are none). */
function graphqlMessages(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((e) => {
    const { message, errorType } = (e ?? {}) as { message?: unknown; errorType?: unknown };
    const text = typeof message === 'string' ? message.slice(0, 500) : JSON.stringify(e).slice(0, 500);
    return typeof errorType === 'string' ? `${errorType}: ${text}` : text;
  });
}
