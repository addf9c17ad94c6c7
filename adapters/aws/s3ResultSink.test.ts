// S3ResultSink against moto: rows read back with DuckDB from the bytes fetched from S3, the JSON
// validates, the marker comes last, redeliveries overwrite, and a failed data write leaves no marker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { validateActivityResult } from '../../core/contracts/activityResult';
import { ContractError } from '../../core/contracts/errors';
import { resultRows } from '../../core/contracts/resultsParquet';
import type { ResultMeta } from '../../core/ports/resultSink';
import { activityResult } from '../../test/support/activityResultFactory';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { type ResultMarker, resultKeys, type S3ObjectWriter, S3ResultSink } from './s3ResultSink';

const META: ResultMeta = { correlationId: 'msg-0001', scoredAt: '2024-05-01T10:15:30.123Z', partitionDate: '2024-04-30' };
const KEYS = resultKeys('results/', META.partitionDate, activityResult());

const suite = localAwsSuite();

suite.describe('S3ResultSink', () => {
  let s3: S3Client;
  let bucket: string;
  let dir: string;
  let db: DuckDBInstance;
  let n = 0;

  beforeAll(async () => {
    s3 = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    dir = mkdtempSync(join(tmpdir(), 'readscore-s3sink-'));
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    db.closeSync();
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    bucket = `results-${++n}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  const listKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
  const getBytes = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToByteArray();

  async function readParquet(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
    const path = join(dir, `read-${++n}.parquet`);
    writeFileSync(path, bytes);
    const connection = await db.connect();
    try {
      const sql = `select * exclude (scoredAt), epoch_ms(scoredAt)::double as scoredAt from read_parquet('${path}') order by phraseIndex, itemIndex`;
      return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  }

  /** A client that records the key of every command it passes on, and can fail chosen PutObjects. */
  function recordingClient(failPut?: (key: string) => boolean): { client: S3ObjectWriter; log: string[] } {
    const log: string[] = [];
    const client: S3ObjectWriter = {
      async send(command) {
        const verb = command instanceof PutObjectCommand ? 'put' : 'delete';
        const key = command.input.Key ?? '';
        if (verb === 'put' && failPut?.(key)) throw Object.assign(new Error(`injected failure on ${key}`), { name: 'InternalError' });
        const sent = command instanceof PutObjectCommand ? s3.send(command) : s3.send(command as DeleteObjectCommand);
        const out = await sent;
        log.push(`${verb} ${key}`);
        return out;
      },
    };
    return { client, log };
  }

  it('writes the rows as Parquet that DuckDB reads back from the S3 bytes', async () => {
    await new S3ResultSink(s3, { bucket }).write(activityResult(), META);
    const bytes = await getBytes(KEYS.parquet);
    if (!bytes) throw new Error('no parquet body');
    const rows = await readParquet(bytes);
    expect(rows).toEqual(resultRows(activityResult(), META));
    expect(rows).toHaveLength(6);
    expect(rows[3]).toMatchObject({ item: 'f_sound', verdict: 'omitted', heard: null, startMs: null, unscoredReason: null });
    expect(rows[4]).toMatchObject({ phraseIndex: 1, verdict: 'unscored', unscoredReason: 'no-audio' });
  });

  it('lays the keys out as dt=/activityId=/<sha12>-<catalog> and stores the full result as JSON that validates', async () => {
    await new S3ResultSink(s3, { bucket }).write(activityResult(), META);
    expect(KEYS.parquet).toBe('results/dt=2024-04-30/activityId=A1B2C3D4E5F60718293A4B5C6D7E8F90/0f1e2d3c4b5a-letter-items-1.0.0.parquet');
    expect(await listKeys()).toEqual([KEYS.marker, KEYS.json, KEYS.parquet]);
    const json = JSON.parse(Buffer.from((await getBytes(KEYS.json)) ?? []).toString('utf8'));
    expect(validateActivityResult(json, KEYS.json)).toEqual(activityResult());
    expect(json).toMatchObject({ correlationId: META.correlationId, scoredAt: META.scoredAt });
  });

  it('writes the marker last, with the row count and the sha256 of both objects as stored', async () => {
    const { client, log } = recordingClient();
    await new S3ResultSink(client, { bucket }).write(activityResult(), META);
    expect(log[0]).toBe(`delete ${KEYS.marker}`);
    expect(log.slice(1, 3).sort()).toEqual([`put ${KEYS.json}`, `put ${KEYS.parquet}`]);
    expect(log.slice(3)).toEqual([`put ${KEYS.marker}`]);
    const marker = JSON.parse(Buffer.from((await getBytes(KEYS.marker)) ?? []).toString('utf8')) as ResultMarker;
    const sha = async (key: string) =>
      (await import('node:crypto'))
        .createHash('sha256')
        .update((await getBytes(key)) ?? new Uint8Array())
        .digest('hex');
    expect(marker).toMatchObject({ rows: 6, keys: { parquet: KEYS.parquet, json: KEYS.json }, correlationId: META.correlationId, activityId: activityResult().activityId });
    expect(marker.sha256).toEqual({ parquet: await sha(KEYS.parquet), json: await sha(KEYS.json) });
  });

  it('overwrites the same three keys on a redelivery, never adding rows', async () => {
    const sink = new S3ResultSink(s3, { bucket });
    await sink.write(activityResult(), META);
    const redelivered = { ...META, correlationId: 'msg-0002', scoredAt: '2024-05-01T11:00:00.000Z' };
    await sink.write(activityResult(), redelivered);
    expect(await listKeys()).toEqual([KEYS.marker, KEYS.json, KEYS.parquet]);
    const rows = await readParquet((await getBytes(KEYS.parquet)) ?? new Uint8Array());
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.correlationId))).toEqual(new Set(['msg-0002']));
  });

  it('keeps an assessment rescore beside the practice result (the default policy keeps the plain keys)', async () => {
    const sink = new S3ResultSink(s3, { bucket });
    expect(resultKeys('results/', META.partitionDate, activityResult({ scoringPolicy: 'practice' }))).toEqual(KEYS);
    await sink.write(activityResult({ scoringPolicy: 'practice' }), META);
    await sink.write(activityResult({ scoringPolicy: 'assessment' }), { ...META, correlationId: 'msg-0002' });
    const assessed = resultKeys('results/', META.partitionDate, activityResult({ scoringPolicy: 'assessment' }));
    expect(assessed.parquet).toBe('results/dt=2024-04-30/activityId=A1B2C3D4E5F60718293A4B5C6D7E8F90/0f1e2d3c4b5a-letter-items-1.0.0-assessment.parquet');
    expect(await listKeys()).toEqual([...[KEYS.marker, KEYS.json, KEYS.parquet], ...[assessed.marker, assessed.json, assessed.parquet]].sort());
    const policies = async (key: string) => new Set((await readParquet((await getBytes(key)) ?? new Uint8Array())).map((r) => r.scoringPolicy));
    expect([await policies(KEYS.parquet), await policies(assessed.parquet)]).toEqual([new Set(['practice']), new Set(['assessment'])]);
  });

  it('writes no marker when the data object fails, and removes the marker of an earlier write', async () => {
    await new S3ResultSink(s3, { bucket }).write(activityResult(), META);
    const { client, log } = recordingClient((key) => key.endsWith('.parquet'));
    await expect(new S3ResultSink(client, { bucket }).write(activityResult(), { ...META, correlationId: 'msg-0002' })).rejects.toThrow(/injected failure/);
    expect(log).not.toContain(`put ${KEYS.marker}`);
    expect(await listKeys()).not.toContain(KEYS.marker);
  });

  it('propagates a real S3 error (no such bucket)', async () => {
    await expect(new S3ResultSink(s3, { bucket: 'no-such-bucket' }).write(activityResult(), META)).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('validates the result before writing anything', async () => {
    const broken = { ...activityResult(), modelSha256: 'not-a-sha' };
    await expect(new S3ResultSink(s3, { bucket }).write(broken, META)).rejects.toThrow(ContractError);
    await expect(new S3ResultSink(s3, { bucket }).write(activityResult(), { ...META, partitionDate: '2024-02-30' })).rejects.toMatchObject({ code: 'bad-partition-date' });
    expect(await listKeys()).toEqual([]);
  });

  it('asks for SSE-KMS only when a kmsKeyId is given', async () => {
    await new S3ResultSink(s3, { bucket, prefix: 'plain/' }).write(activityResult(), META);
    await new S3ResultSink(s3, { bucket, kmsKeyId: 'alias/readscore-results' }).write(activityResult(), META);
    const plain = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: resultKeys('plain/', META.partitionDate, activityResult()).parquet }));
    expect(plain.ServerSideEncryption).not.toBe('aws:kms');
    for (const key of [KEYS.parquet, KEYS.json, KEYS.marker]) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(['aws:kms', 'alias/readscore-results']);
    }
  });

  it('refuses a prefix without a trailing slash, naming the option', () => {
    expect(() => new S3ResultSink(s3, { bucket, prefix: 'results' })).toThrow(/S3ResultSink\.prefix/);
  });
});
