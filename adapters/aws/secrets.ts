/**
 * Secrets Manager reads, cached per container with a TTL: the AppSync secret `{url, api_key}` and
 * the Triton CA bundle. Secret values never reach a log line or an error message.
 */
import { GetSecretValueCommand, type GetSecretValueCommandOutput, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { z } from 'zod';
import { ConfigError } from '../../core/errors';
import type { SecretReader } from '../../engines/triton/tritonEngine';

/** Options of {@link SecretsCache}. */
export interface SecretsCacheOptions {
  /** How long a value is reused, ms (default 5 min). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** Reads secrets by name or ARN and keeps each for `ttlMs`; concurrent reads of one name share a call. */
export class SecretsCache implements SecretReader {
  private readonly entries = new Map<string, { at: number; value: Promise<string> }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretsCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The secret's text (SecretString, or SecretBinary as UTF-8). */
  read(secretId: string): Promise<string> {
    const cached = this.entries.get(secretId);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.value;
    const value = this.fetch(secretId);
    this.entries.set(secretId, { at: this.now(), value });
    value.catch(() => this.entries.delete(secretId));
    return value;
  }

  /** The secret parsed as JSON and validated; errors name the secret and the field, never the value. */
  async json<T>(secretId: string, schema: z.ZodType<T>): Promise<T> {
    const text = await this.read(secretId);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ConfigError('bad-secret', secretId, 'the secret is not JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new ConfigError('bad-secret', secretId, `the secret does not have the expected fields (${fields})`);
    }
    return parsed.data;
  }

  /** Forgets every cached value (after a rotation is detected). */
  clear(): void {
    this.entries.clear();
  }

  private async fetch(secretId: string): Promise<string> {
    let out: GetSecretValueCommandOutput;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ResourceNotFoundException') throw new ConfigError('missing-secret', secretId, 'no such secret in Secrets Manager');
      throw error;
    }
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new ConfigError('bad-secret', secretId, 'the secret has no value');
  }
}
