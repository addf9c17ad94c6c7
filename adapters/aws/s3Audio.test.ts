/** S3SegmentStore against moto: segment listing and metadata, size limits, tenant confinement, bounded concurrency. */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ContractError } from '../../core/contracts/errors';
import { ActivityInputError, AudioDecodeError, ConfigError } from '../../core/errors';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { S3SegmentStore } from './s3Audio';

const A = 'ABCDEF0123456789ABCDEF0123456789';
const B = '0123456789ABCDEF0123456789ABCDEF';
const PREFIX = 'speech/';

/** An S3 client that counts commands by name and tracks how many are in flight at once. */
function countingClient(endpoint: string, tweak?: (commandName: string, input: Record<string, unknown>) => void) {
  const s3 = new S3Client({ region: LOCAL_REGION, endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const calls: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      calls[name] = (calls[name] ?? 0) + 1;
      tweak?.(name, args.input as Record<string, unknown>);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await next(args);
      } finally {
        inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { s3, calls, maxInFlight: () => maxInFlight };
}

const wav = (n: number) => new Uint8Array(n).fill(7);
const meta = (phraseindex: string, sequencenumber: string, lastsegment = 'false') => ({ phraseindex, sequencenumber, lastsegment });

const suite = localAwsSuite();

suite.describe('S3SegmentStore', () => {
  let admin: S3Client;
  let bucketNo = 0;
  let bucket = '';

  async function put(key: string, body: Uint8Array | string, metadata?: Record<string, string>) {
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) }));
  }

  beforeAll(() => {
    admin = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
  });

  beforeEach(async () => {
    bucket = `speech-${++bucketNo}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('lists the wav segments of the activity with strictly parsed metadata, in sequence order', async () => {
    await put(`${PREFIX}${A}/b.wav`, wav(10), meta('007', '2', 'true'));
    await put(`${PREFIX}${A}/a.wav`, wav(12), meta('0', '1'));
    await put(`${PREFIX}${A}/complete.wav`, wav(50), meta('0', '0'));
    await put(`${PREFIX}${A}/notes.txt`, 'x');
    await put(`${PREFIX}${A}/old/c.wav`, wav(5), meta('1', '3'));
    await put(`${PREFIX}${B}/d.wav`, wav(5), meta('1', '0'));
    const { s3 } = countingClient(suite.aws.endpoint);
    const store = new S3SegmentStore(s3, { bucket, prefix: PREFIX, maxSegmentBytes: 100 });
    expect(await store.listSegments(A)).toEqual([
      { key: `${PREFIX}${A}/a.wav`, phraseIndex: 0, sequenceNumber: 1, lastSegment: false, bytes: 12 },
      { key: `${PREFIX}${A}/b.wav`, phraseIndex: 7, sequenceNumber: 2, lastSegment: true, bytes: 10 },
    ]);
  });

  it('follows listing pages', async () => {
    for (let i = 0; i < 5; i += 1) await put(`${A}/${i}.wav`, wav(4), meta('0', String(i)));
    const counting = countingClient(suite.aws.endpoint, (name, input) => {
      if (name === 'ListObjectsV2Command') input.MaxKeys = 2;
    });
    const store = new S3SegmentStore(counting.s3, { bucket, maxSegmentBytes: 100 });
    const segments = await store.listSegments(A);
    expect(segments.map((s) => s.sequenceNumber)).toEqual([0, 1, 2, 3, 4]);
    expect(counting.calls.ListObjectsV2Command).toBe(3);
  });

  it('refuses garbage metadata with a ContractError naming the object', async () => {
    await put(`${A}/good.wav`, wav(4), meta('1', '1'));
    await put(`${A}/bad.wav`, wav(4), meta('1.0', '2'));
    const store = new S3SegmentStore(countingClient(suite.aws.endpoint).s3, { bucket, maxSegmentBytes: 100 });
    const error = await store.listSegments(A).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as Error).message).toContain(`s3://${bucket}/${A}/bad.wav`);
    expect((error as Error).message).toContain('phraseindex');
  });

  it('lists a segment above the size limit, and refuses to read it before any body is read', async () => {
    await put(`${A}/small.wav`, wav(10), meta('0', '0'));
    await put(`${A}/huge.wav`, wav(101), meta('0', '1'));
    const counting = countingClient(suite.aws.endpoint);
    const store = new S3SegmentStore(counting.s3, { bucket, maxSegmentBytes: 100 });
    // Listed with its phrase, so the pipeline can report that phrase unscored and score the others.
    const listed = await store.listSegments(A);
    expect(listed.map((s) => [s.key, s.phraseIndex, s.sequenceNumber])).toEqual([
      [`${A}/small.wav`, 0, 0],
      [`${A}/huge.wav`, 0, 1],
    ]);
    expect(counting.calls.GetObjectCommand).toBeUndefined();
    const error = await store
      .audioSource(A)
      .read(`${A}/huge.wav`)
      .catch((e: AudioDecodeError) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect((error as AudioDecodeError).code).toBe('too-long');
    expect((error as Error).message).toContain(`s3://${bucket}/${A}/huge.wav`);
  });

  it('refuses an activity id that is not 32 upper-case hex', async () => {
    const store = new S3SegmentStore(countingClient(suite.aws.endpoint).s3, { bucket, maxSegmentBytes: 100 });
    await expect(store.listSegments(A.toLowerCase())).rejects.toThrow(ActivityInputError);
    await expect(store.listSegments('../x')).rejects.toThrow('32 upper-case hex');
    expect(() => store.audioSource('')).toThrow(ActivityInputError);
  });

  it('reads a segment of the activity and names it s3://bucket/key', async () => {
    await put(`${PREFIX}${A}/a.wav`, new Uint8Array([1, 2, 3]), meta('0', '0'));
    const store = new S3SegmentStore(countingClient(suite.aws.endpoint).s3, { bucket, prefix: PREFIX, maxSegmentBytes: 100 });
    const audio = store.audioSource(A);
    expect(await audio.read(`${PREFIX}${A}/a.wav`)).toEqual(new Uint8Array([1, 2, 3]));
    expect(audio.describe(`${PREFIX}${A}/a.wav`)).toBe(`s3://${bucket}/${PREFIX}${A}/a.wav`);
  });

  it.each([
    ['another activity', `${PREFIX}${B}/a.wav`],
    ['a climb out of the folder', `${PREFIX}${A}/../${B}/a.wav`],
    ['a dot segment', `${PREFIX}${A}/./a.wav`],
    ['a key without the prefix', `${A}/a.wav`],
    ['an absolute path', `/${PREFIX}${A}/a.wav`],
    ['another bucket', `s3://other-bucket/${PREFIX}${A}/a.wav`],
    ['the folder itself', `${PREFIX}${A}/`],
    ['a double slash', `${PREFIX}${A}//a.wav`],
    ['a backslash', `${PREFIX}${A}/..\\${B}\\a.wav`],
  ])('refuses %s without calling S3', async (_why, key) => {
    await put(`${PREFIX}${B}/a.wav`, wav(3), meta('0', '0'));
    const counting = countingClient(suite.aws.endpoint);
    const audio = new S3SegmentStore(counting.s3, { bucket, prefix: PREFIX, maxSegmentBytes: 100 }).audioSource(A);
    const error = await audio.read(key).catch((e: ActivityInputError) => e);
    expect(error).toBeInstanceOf(ActivityInputError);
    expect((error as ActivityInputError).code).toBe('outside-activity');
    expect((error as Error).message).toContain(key);
    expect(counting.calls).toEqual({});
  });

  it('reports a missing segment as AudioDecodeError missing', async () => {
    const audio = new S3SegmentStore(countingClient(suite.aws.endpoint).s3, { bucket, maxSegmentBytes: 100 }).audioSource(A);
    const error = await audio.read(`${A}/gone.wav`).catch((e: AudioDecodeError) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect((error as AudioDecodeError).code).toBe('missing');
    expect((error as Error).message).toContain(`s3://${bucket}/${A}/gone.wav`);
  });

  it('refuses to read an object above the size limit', async () => {
    await put(`${A}/huge.wav`, wav(101), meta('0', '0'));
    const audio = new S3SegmentStore(countingClient(suite.aws.endpoint).s3, { bucket, maxSegmentBytes: 100 }).audioSource(A);
    await expect(audio.read(`${A}/huge.wav`)).rejects.toMatchObject({ code: 'too-long', name: 'AudioDecodeError' });
  });

  it('keeps S3 calls within the concurrency limit', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `${A}/${String(i).padStart(2, '0')}.wav`);
    for (const [i, key] of keys.entries()) await put(key, wav(8), meta('0', String(i)));
    const counting = countingClient(suite.aws.endpoint);
    const store = new S3SegmentStore(counting.s3, { bucket, maxSegmentBytes: 100, concurrency: 3 });
    expect(await store.listSegments(A)).toHaveLength(12);
    const audio = store.audioSource(A);
    const bodies = await Promise.all(keys.map((k) => audio.read(k)));
    expect(bodies.every((b) => b.byteLength === 8)).toBe(true);
    expect(counting.calls.HeadObjectCommand).toBe(12);
    expect(counting.maxInFlight()).toBe(3);
  });

  it.each([
    [{ bucket: 'Bad_Bucket', maxSegmentBytes: 1 }, 'bucket'],
    [{ bucket: 'ok-bucket', prefix: 'speech', maxSegmentBytes: 1 }, 'prefix'],
    [{ bucket: 'ok-bucket', prefix: '../', maxSegmentBytes: 1 }, 'prefix'],
    [{ bucket: 'ok-bucket', maxSegmentBytes: 0 }, 'maxSegmentBytes'],
    [{ bucket: 'ok-bucket', maxSegmentBytes: 1, concurrency: 0 }, 'concurrency'],
  ])('refuses options %j naming the option', (options, field) => {
    expect(() => new S3SegmentStore(admin, options)).toThrow(ConfigError);
    expect(() => new S3SegmentStore(admin, options)).toThrow(field);
  });
});
