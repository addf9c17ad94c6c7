/**
 * The production path end to end against real local servers: moto_server (S3, SQS, Secrets Manager,
 * Athena with seeded results) and an HTTPS GraphQL stand-in for AppSync. Example activities are
 * uploaded as streamed segments with S3 metadata; the scoring handler is invoked in-process with SQS
 * events; the Parquet is read back with DuckDB (an independent reader) and compared with the CLI.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AwsClients, createAwsClients } from '../../adapters/aws/clients';
import { readScoreConfig } from '../../core/config';
import { appsyncVariables, type FieldValues, validateActivityResult, validateScoreRequest } from '../../core/contracts';
import type { Scorer } from '../../core/pipeline/scorer';
import { silentLogger } from '../../core/ports';
import type { ActivityResult } from '../../core/scoring/types';
import { main } from '../../handlers/cli/main';
import { localScorer } from '../../handlers/cli/run';
import { buildEnqueuerContainer, buildScoringContainer, type ScoringContainer } from '../../handlers/lambda/container';
import { enqueue } from '../../handlers/lambda/enqueue';
import { LambdaLogger, LambdaMetrics } from '../../handlers/lambda/powertools';
import { createScoreHandler } from '../../handlers/lambda/score';
import { type AppSyncStandIn, startAppSyncStandIn } from '../../tools/aws/appsyncStandIn';
import { ACTIVITY_COLUMNS, activityRow, type ExampleManifest, readExampleManifest, type StoryRow, uploadActivity } from '../../tools/aws/seedActivities';
import { EXAMPLES } from '../e2e/examples';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../support/localAws';

const suite = localAwsSuite();
const EXAMPLE_NAMES: [string, string] = ['01-correct-espeak-f3', '04-substitutions-espeak-Annie'];
const NO_AUDIO = 'ABCDEFABCDEFABCDEFABCDEFABCDEF00';
const OVERSIZE = 'ABCDEFABCDEFABCDEFABCDEFABCDEF01';
const context = { functionName: 'readscore-score', awsRequestId: 'req-1' } as unknown as Context;

const manifestOf = (name: string) => readExampleManifest(join(EXAMPLES, name, 'activity.json'));

function sqsRecord(body: string, messageId: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:readscore-scoring',
    awsRegion: LOCAL_REGION,
  };
}
const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const request = (activityId: string, correlationId?: string) =>
  JSON.stringify({ schemaVersion: 1, activityId, ...(correlationId ? { correlationId } : {}), requestedAt: '2026-12-01T10:00:00.000Z', source: 'enqueuer' });

/** Captures what Powertools prints (JSON log lines and EMF metrics on stdout); other output passes through. */
function captureConsole(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const captured: Record<string, unknown>[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    return jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      const json = text
        .trim()
        .split('\n')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
      if (json.length && json.every((j) => j.service === 'readscore')) {
        captured.push(...json);
        return true;
      }
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  });
  return {
    lines: () => captured,
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

async function readParquet(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>[]> {
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToByteArray();
  const file = join(mkdtempSync(join(tmpdir(), 'pq-')), 'r.parquet');
  writeFileSync(file, body as Uint8Array);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const rows = (await connection.runAndReadAll(`SELECT * FROM read_parquet('${file}') ORDER BY phraseIndex, itemIndex`)).getRowObjectsJson();
  connection.closeSync();
  return rows as Record<string, unknown>[];
}

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

suite.describe('scoring Lambda end to end (moto + AppSync stand-in)', () => {
  const saved = { ...process.env };
  let standIn: AppSyncStandIn;
  let clients: AwsClients;
  let container: ScoringContainer;
  let env: Record<string, string>;
  let cli: Scorer;
  const cliResults = new Map<string, ActivityResult>();
  let console_: ReturnType<typeof captureConsole>;

  beforeAll(async () => {
    // The SDK's default provider chain reads these; moto accepts any.
    process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
    standIn = await startAppSyncStandIn({ apiKey: 'test-api-key' });
    clients = createAwsClients({ region: LOCAL_REGION, endpoint: suite.aws.endpoint });
    for (const bucket of ['speech', 'stories', 'results', 'athena-results']) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.secrets.send(new CreateSecretCommand({ Name: 'readscore/appsync', SecretString: JSON.stringify({ url: standIn.url, api_key: 'test-api-key' }) }));

    const stories: StoryRow[] = [];
    for (const name of EXAMPLE_NAMES) stories.push(...(await uploadActivity(clients.s3, 'speech', join(EXAMPLES, name, 'activity.json'), { splitFirstPhraseAt: 8000 })));
    stories.push({ storyId: 'story-silent', phraseIndex: 0, items: ['a_letter', 'b_sound'] });
    // Two phrases of example 01; phrase 1's only segment is over the size limit of the container below.
    stories.push({ storyId: 'story-oversize', phraseIndex: 0, items: ['c_sound', 'i_letter', 'j_letter', 'p_letter', 'r_sound', 'g_letter', 'v_sound'] });
    stories.push({ storyId: 'story-oversize', phraseIndex: 1, items: ['b_sound', 'm_sound', 'e_sound', 'k_sound'] });
    await clients.s3.send(new PutObjectCommand({ Bucket: 'stories', Key: 'story-phrases.json', Body: JSON.stringify(stories) }));

    env = {
      AWS_REGION: LOCAL_REGION,
      READSCORE_AWS_ENDPOINT: suite.aws.endpoint,
      READSCORE_AUDIO_BUCKET: 'speech',
      READSCORE_STORY_BUCKET: 'stories',
      READSCORE_STORY_KEY: 'story-phrases.json',
      READSCORE_RESULTS_BUCKET: 'results',
      READSCORE_ATHENA_WORKGROUP: 'primary',
      READSCORE_ATHENA_DATABASE: 'readscore',
      READSCORE_APPSYNC_SECRET: 'readscore/appsync',
      ...(process.env.ALIGNER_FORCE_TS === '1' ? { READSCORE_ALIGNER: 'ts' } : {}),
    };
    console_ = captureConsole();
    container = await buildScoringContainer(env, { appsyncCa: standIn.caPem, logger: new LambdaLogger(), metrics: new LambdaMetrics() });
    cli = await localScorer(readScoreConfig({ from: 'flags', flags: {}, env: process.env }), { engine: container.scorer.engine, logger: silentLogger });
    for (const name of EXAMPLE_NAMES) cliResults.set(name, (await cli.score({ manifest: join(EXAMPLES, name, 'activity.json') })).result);
  }, 60_000);

  afterAll(async () => {
    console_?.restore();
    await container?.scorer.close();
    await standIn?.stop();
    process.env = saved;
  });

  beforeEach(() => standIn.reset());

  it('scores SQS messages into Parquet + JSON + marker in S3 and an AppSync update, with the CLI’s verdicts', async () => {
    const handler = createScoreHandler(async () => container);
    const [a, b] = EXAMPLE_NAMES.map(manifestOf) as [ExampleManifest, ExampleManifest];
    await suite.aws.seedAthenaResults([a, b].map((m) => ({ columns: ACTIVITY_COLUMNS, rows: [activityRow(m.activityId, m.storyId)] })));
    const response = await handler(event(sqsRecord(request(a.activityId, 'corr-a'), 'm-a'), sqsRecord(request(b.activityId), 'm-b')), context);
    expect(response).toEqual({ batchItemFailures: [] });

    for (const [name, m, correlationId] of [
      [EXAMPLE_NAMES[0], a, 'corr-a'],
      [EXAMPLE_NAMES[1], b, 'm-b'],
    ] as const) {
      const keys = await keysUnder(clients.s3, 'results', `results/dt=2026-11-30/activityId=${m.activityId}/`);
      expect(keys.map((k) => k.slice(k.lastIndexOf('.')))).toEqual(['.done', '.json', '.parquet']);
      const cliResult = cliResults.get(name) as ActivityResult;
      const rows = await readParquet(clients.s3, 'results', keys[2] as string);
      const expected = cliResult.phrases.flatMap((p) => p.items.map((v) => [p.phraseIndex, v.position, v.item, v.verdict, v.heard ?? null]));
      expect(rows.map((r) => [r.phraseIndex, r.itemIndex, r.item, r.verdict, r.heard])).toEqual(expected);
      expect(new Set(rows.map((r) => r.correlationId))).toEqual(new Set([correlationId]));
      expect(rows[0]).toMatchObject({ activityId: m.activityId, storyId: m.storyId, modelSha256: cliResult.modelSha256, engine: 'cpu-onnx' });
      const json = JSON.parse((await (await clients.s3.send(new GetObjectCommand({ Bucket: 'results', Key: keys[1] }))).Body?.transformToString()) as string);
      const stored = validateActivityResult(json.result ?? json, keys[1] as string);
      expect(stored.phrases.map((p) => p.items)).toEqual(cliResult.phrases.map((p) => p.items));
      const update = standIn.received.find((u) => u.activityId === m.activityId);
      expect(update?.fieldValues).toEqual(JSON.parse(appsyncVariables(stored).fieldValues) as FieldValues);
      expect(update?.fieldValues.alignment_errors).toEqual(cliResult.phrases.map((p) => p.items.map((v) => v.verdict === 'substituted' || v.verdict === 'omitted')));
    }
    expect(standIn.received).toHaveLength(2);
    const logged = console_.lines();
    expect(logged.filter((l) => l.message === 'activity scored').map((l) => l.correlationId)).toEqual(['corr-a', 'm-b']);
    const emf = logged.filter((l) => l._aws !== undefined);
    expect(emf.some((l) => JSON.stringify(l).includes('ReadScore/Alignment'))).toBe(true);
    expect(emf.some((l) => JSON.stringify(l).includes('ColdStart'))).toBe(true);
  }, 60_000);

  it('fails only the poison message of a batch, with one clear log line naming it', async () => {
    const handler = createScoreHandler(async () => container);
    const m = manifestOf(EXAMPLE_NAMES[0] as string);
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [activityRow(m.activityId, m.storyId)] }]);
    const before = console_.lines().length;
    const poison = JSON.stringify({ activity_id: m.activityId });
    const response = await handler(event(sqsRecord(poison, 'poison-1'), sqsRecord(request(m.activityId), 'good-1'), sqsRecord('{not json', 'poison-2')), context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison-1' }, { itemIdentifier: 'poison-2' }]);
    const lines = console_
      .lines()
      .slice(before)
      .filter((l) => String(l.message).startsWith('poison message'));
    expect(lines.map((l) => [l.correlationId, l.level])).toEqual([
      ['poison-1', 'ERROR'],
      ['poison-2', 'ERROR'],
    ]);
    expect(String(lines[0]?.message)).toMatch(/sqs:poison-1: ScoreRequest v1: .*Unrecognized key\(s\) in object: 'activity_id'/);
    expect(String(lines[1]?.message)).toMatch(/sqs:poison-2: ScoreRequest v1: the body is not JSON/);
  }, 60_000);

  it('fails the message when AppSync keeps failing, and a redelivery completes it without duplicate rows', async () => {
    const handler = createScoreHandler(async () => container);
    const m = manifestOf(EXAMPLE_NAMES[1] as string);
    const prefix = `results/dt=2026-11-30/activityId=${m.activityId}/`;
    await suite.aws.seedAthenaResults([0, 1].map(() => ({ columns: ACTIVITY_COLUMNS, rows: [activityRow(m.activityId, m.storyId)] })));
    standIn.failNext(3, 'http500');
    const first = await handler(event(sqsRecord(request(m.activityId), 'm-retry', 1)), context);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-retry' }]);
    expect(standIn.received).toHaveLength(0);
    expect(standIn.requests.map((r) => r.status)).toEqual([500, 500, 500]);
    const second = await handler(event(sqsRecord(request(m.activityId), 'm-retry', 2)), context);
    expect(second.batchItemFailures).toEqual([]);
    expect(standIn.received.map((u) => u.activityId)).toEqual([m.activityId]);
    const keys = await keysUnder(clients.s3, 'results', prefix);
    expect(keys).toHaveLength(3);
    const items = (cliResults.get(EXAMPLE_NAMES[1] as string) as ActivityResult).totals.items;
    expect(await readParquet(clients.s3, 'results', keys[2] as string)).toHaveLength(items);
  }, 60_000);

  it('writes an activity with no audio as unscored with its reason, and succeeds', async () => {
    const handler = createScoreHandler(async () => container);
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [activityRow(NO_AUDIO, 'story-silent')] }]);
    const response = await handler(event(sqsRecord(request(NO_AUDIO), 'm-silent')), context);
    expect(response.batchItemFailures).toEqual([]);
    const keys = await keysUnder(clients.s3, 'results', `results/dt=2026-11-30/activityId=${NO_AUDIO}/`);
    const rows = await readParquet(clients.s3, 'results', keys[2] as string);
    expect(rows.map((r) => [r.item, r.verdict, r.unscoredReason])).toEqual([
      ['a_letter', 'unscored', 'no-audio'],
      ['b_sound', 'unscored', 'no-audio'],
    ]);
    expect(standIn.received[0]?.fieldValues).toMatchObject({ scoring_status: 'unscored', unscored_phrases: [0], total_alignments: 0, alignment_accuracy: null });
  }, 60_000);

  it('scores the other phrases when one segment is over the size limit, and reports that phrase unscored too-long', async () => {
    const small = readFileSync(join(EXAMPLES, '01-correct-espeak-f3', 'p0.wav'));
    const big = readFileSync(join(EXAMPLES, '01-correct-espeak-f3', 'p1.wav'));
    const put = (name: string, body: Uint8Array, phrase: number) =>
      clients.s3.send(
        new PutObjectCommand({
          Bucket: 'speech',
          Key: `${OVERSIZE}/${name}`,
          Body: body,
          Metadata: { phraseindex: String(phrase), sequencenumber: String(phrase), lastsegment: 'true' },
        }),
      );
    await put('s0.wav', small, 0);
    await put('s1.wav', Buffer.concat([big, big]), 1);
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [activityRow(OVERSIZE, 'story-oversize')] }]);
    const limited = await buildScoringContainer(
      { ...env, READSCORE_MAX_SEGMENT_BYTES: String(small.length) },
      { appsyncCa: standIn.caPem, logger: new LambdaLogger(), metrics: new LambdaMetrics() },
    );
    try {
      const response = await createScoreHandler(async () => limited)(event(sqsRecord(request(OVERSIZE), 'm-oversize')), context);
      expect(response.batchItemFailures).toEqual([]);
      const keys = await keysUnder(clients.s3, 'results', `results/dt=2026-11-30/activityId=${OVERSIZE}/`);
      const rows = await readParquet(clients.s3, 'results', keys[2] as string);
      expect(rows.filter((r) => r.phraseIndex === 0).every((r) => r.verdict !== 'unscored')).toBe(true);
      expect(rows.filter((r) => r.phraseIndex === 1).map((r) => [r.verdict, r.unscoredReason])).toEqual(Array(4).fill(['unscored', 'too-long']));
      expect(standIn.received[0]?.fieldValues).toMatchObject({ scoring_status: 'partial', unscored_phrases: [1] });
    } finally {
      await limited.scorer.close();
    }
  }, 60_000);

  it('fails a message whose activity Athena does not know, so it is retried and then dead-lettered', async () => {
    const handler = createScoreHandler(async () => container);
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [] }]);
    const response = await handler(event(sqsRecord(request('00000000000000000000000000000000'), 'm-unknown')), context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-unknown' }]);
  }, 60_000);

  it('refuses to build a container whose environment lacks a required variable, naming it', async () => {
    const { READSCORE_RESULTS_BUCKET: _gone, ...partial } = env;
    await expect(buildScoringContainer(partial)).rejects.toThrow(/READSCORE_RESULTS_BUCKET: required environment variable is not set/);
  });

  it('enqueues 25 activities in 3 SendMessageBatch calls, each a valid ScoreRequest', async () => {
    const queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'readscore-scoring' }))).QueueUrl as string;
    const ids = Array.from({ length: 25 }, (_, i) => i.toString(16).toUpperCase().padStart(32, '0'));
    await suite.aws.seedAthenaResults([{ columns: ['activityid'], rows: ids.map((id) => [id]) }]);
    const enqueuer = buildEnqueuerContainer({ ...env, READSCORE_SCORING_QUEUE_URL: queueUrl });
    const summary = await enqueue(enqueuer, { 'detail-type': 'Scheduled Event' }, new Date('2026-12-02T03:00:00Z'));
    expect(summary).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z', found: 25, sent: 25, failed: 0, calls: 3 });
    const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('25');
    const got = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    for (const message of got.Messages ?? []) expect(validateScoreRequest(JSON.parse(message.Body as string), 'queue').source).toBe('enqueuer');
  }, 60_000);

  it('redrives dead-lettered requests back to the queue with `readscore redrive`', async () => {
    const dlq = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'readscore-dlq' }))).QueueUrl as string;
    const queue = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'readscore-redriven' }))).QueueUrl as string;
    for (const id of ['A', 'B', 'C']) await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: request(id.repeat(32)) }));
    process.env.AWS_REGION = LOCAL_REGION;
    process.env.READSCORE_AWS_ENDPOINT = suite.aws.endpoint;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['redrive', '--from', dlq, '--to', queue, '--max', '2']);
    } finally {
      out.mockRestore();
    }
    expect(code).toBe(0);
    const count = async (url: string) =>
      (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })))
        .Attributes;
    expect((await count(queue))?.ApproximateNumberOfMessages).toBe('2');
    const left = await count(dlq);
    expect(Number(left?.ApproximateNumberOfMessages) + Number(left?.ApproximateNumberOfMessagesNotVisible)).toBe(1);
  }, 60_000);
});
