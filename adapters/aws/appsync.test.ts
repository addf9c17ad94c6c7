// AppSyncResultSink against a local HTTPS GraphQL stand-in and moto's Secrets Manager: the variables
// that arrive, retries, GraphQL errors as failures, refused http://, TLS verification and timeouts.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { appsyncVariables } from '../../core/contracts/appsyncVariables';
import { ConfigError } from '../../core/errors';
import type { ResultMeta } from '../../core/ports/resultSink';
import { activityResult } from '../../test/support/activityResultFactory';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { type AppSyncStandIn, startAppSyncStandIn } from '../../tools/aws/appsyncStandIn';
import { createTestCa } from '../../tools/triton/pki';
import { AppSyncError, AppSyncResultSink, type AppSyncResultSinkOptions } from './appsync';
import { SecretsCache } from './secrets';

const META: ResultMeta = { correlationId: 'msg-0001', scoredAt: '2024-05-01T10:15:30.123Z', partitionDate: '2024-04-30' };
const API_KEY = 'da2-standinkey0123456789abcdef';

const suite = localAwsSuite();

suite.describe('AppSyncResultSink', () => {
  let sm: SecretsManagerClient;
  let standIn: AppSyncStandIn;
  let sinks: AppSyncResultSink[] = [];
  let sleeps: number[] = [];
  let n = 0;

  beforeAll(async () => {
    sm = new SecretsManagerClient({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, credentials: LOCAL_CREDENTIALS });
    standIn = await startAppSyncStandIn({ apiKey: API_KEY });
  });
  afterAll(async () => {
    sm.destroy();
    await standIn.stop();
  });
  beforeEach(() => {
    standIn.reset();
    sleeps = [];
  });
  afterEach(() => {
    for (const sink of sinks) sink.close();
    sinks = [];
  });

  /** A sink reading a fresh secret holding `secret`; trusts the stand-in's CA unless told otherwise. */
  async function sink(secret: Record<string, unknown> = { url: standIn.url, api_key: API_KEY }, options: Partial<AppSyncResultSinkOptions> = {}) {
    const secretName = `readscore/appsync-${++n}`;
    await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify(secret) }));
    const created = new AppSyncResultSink({
      secrets: new SecretsCache(sm),
      secretName,
      ca: standIn.caPem,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    sinks.push(created);
    return { sink: created, secretName };
  }

  it('sends the contract variables, which the stand-in decodes and validates', async () => {
    await (await sink()).sink.write(activityResult(), META);
    expect(standIn.received).toEqual([{ activityId: activityResult().activityId, fieldValues: JSON.parse(appsyncVariables(activityResult()).fieldValues) }]);
    expect(standIn.received[0]?.fieldValues).toMatchObject({
      alignment_errors: [[false, false, true, true], []],
      error_count: 2,
      total_alignments: 4,
      alignment_accuracy: 0.5,
      scoring_status: 'partial',
      unscored_phrases: [1],
    });
    expect(standIn.requests).toEqual([{ status: 200 }]);
    expect(sleeps).toEqual([]);
  });

  it.each(['http500', 'http429'] as const)('retries once after %s, and the update is recorded once', async (fault) => {
    standIn.failNext(1, fault);
    await (await sink()).sink.write(activityResult(), META);
    expect(standIn.requests.map((r) => r.status)).toEqual([fault === 'http500' ? 500 : 429, 200]);
    expect(standIn.received).toHaveLength(1);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThanOrEqual(200);
  });

  it('gives up after maxAttempts of 5xx with a typed error', async () => {
    standIn.failNext(3, 'http500');
    const error = await (await sink()).sink.write(activityResult(), META).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppSyncError);
    expect(error).toMatchObject({ code: 'http-status', status: 500, attempts: 3, retryable: true });
    expect(standIn.received).toEqual([]);
    expect(sleeps).toHaveLength(2);
  });

  it('treats a 200 with a GraphQL errors array as a failure, not retried', async () => {
    standIn.failNext(1, 'graphql-errors');
    const error = await (await sink()).sink.write(activityResult(), META).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppSyncError);
    expect(error).toMatchObject({ code: 'graphql-errors', status: 200, attempts: 1 });
    expect((error as AppSyncError).messages).toEqual(['DynamoDB:ProvisionedThroughputExceededException: injected resolver failure']);
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.received).toEqual([]);
  });

  it('fails when the response confirms another activity', async () => {
    standIn.failNext(1, 'wrong-activity-id');
    await expect((await sink()).sink.write(activityResult(), META)).rejects.toMatchObject({ name: 'AppSyncError', code: 'bad-response' });
  });

  it('fails at once on a 401 (wrong API key), without echoing the key', async () => {
    const wrongKey = 'da2-wrongkeyzzzzzzzzzzzzzzzzzz';
    const error = await (await sink({ url: standIn.url, api_key: wrongKey })).sink.write(activityResult(), META).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppSyncError', code: 'http-status', status: 401, attempts: 1, retryable: false });
    expect(String((error as Error).message)).not.toContain(wrongKey);
    expect(standIn.unauthorised).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('refuses an http:// URL in the secret, naming the secret and not the key', async () => {
    const { sink: insecure, secretName } = await sink({ url: standIn.url.replace('https://', 'http://'), api_key: API_KEY });
    const error = await insecure.write(activityResult(), META).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'insecure-url', input: secretName });
    expect((error as Error).message).toContain(secretName);
    expect((error as Error).message).not.toContain(API_KEY);
    expect(standIn.requests).toEqual([]);
  });

  it('reports a server certificate it cannot verify as a typed TLS failure, not retried', async () => {
    const strangerCa = createTestCa('some other CA').caPem;
    for (const ca of [undefined, strangerCa]) {
      const error = await (await sink(undefined, { ca })).sink.write(activityResult(), META).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppSyncError);
      expect(error).toMatchObject({ code: 'network', retryable: false, attempts: 1 });
      expect((error as Error).message).toMatch(/TLS verification failed/);
    }
    expect(standIn.requests).toEqual([]);
    expect(standIn.received).toEqual([]);
  });

  it('times out each attempt and reports a timeout once retries are spent', async () => {
    standIn.failNext(2, 'hang');
    const started = Date.now();
    const error = await (await sink(undefined, { timeoutMs: 300, maxAttempts: 2 })).sink.write(activityResult(), META).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppSyncError', code: 'timeout', attempts: 2 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(standIn.requests).toHaveLength(2);
    expect(standIn.received).toEqual([]);
  });

  it('names the secret when it lacks a field', async () => {
    const { sink: broken, secretName } = await sink({ url: standIn.url });
    await expect(broken.write(activityResult(), META)).rejects.toMatchObject({ name: 'ConfigError', code: 'bad-secret', input: secretName });
  });
});
