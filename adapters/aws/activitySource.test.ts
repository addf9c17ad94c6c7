/** AwsActivitySource: joining Athena row, story phrases and segments into a manifest the pipeline accepts. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SegmentEntry } from '../../core/contracts/segmentManifest';
import { ActivityInputError } from '../../core/errors';
import { loadDefaultCatalog } from '../../core/items';
import { parseActivity } from '../../core/pipeline/activity';
import type { LogFields } from '../../core/ports/logger';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { AwsActivitySource, type AwsActivitySourceDeps } from './activitySource';
import type { ActivityRecord } from './athena';
import { AthenaQueries } from './athena';
import { S3SegmentStore } from './s3Audio';
import { S3StoryPhrases } from './storyPhrases';

const A = 'ABCDEF0123456789ABCDEF0123456789';

const record = (over: Partial<ActivityRecord> = {}): ActivityRecord => ({
  activityId: A,
  storyId: 'story-1',
  studentId: 'stu-1',
  districtId: 'dist-9',
  type: 'letterNamingAndSounds',
  createdAt: '2025-03-04T05:06:07.000Z',
  status: 'under_review',
  ...over,
});

const segment = (key: string, phraseIndex: number, sequenceNumber: number): SegmentEntry => ({ key, phraseIndex, sequenceNumber, lastSegment: false, bytes: 44 });

function fakeDeps(over: { record?: ActivityRecord; segments?: SegmentEntry[] } = {}) {
  const calls: string[] = [];
  const deps: AwsActivitySourceDeps = {
    athena: {
      findActivity: async (id) => {
        calls.push(`find ${id}`);
        return over.record ?? record();
      },
    },
    stories: {
      phrases: async (storyId) => {
        calls.push(`story ${storyId}`);
        return [
          { phraseIndex: 0, items: ['a_letter', 'b_sound'] },
          { phraseIndex: 1, items: ['c_letter'] },
          { phraseIndex: 2, items: ['d_sound'] },
        ];
      },
    },
    segments: {
      listSegments: async (id) => {
        calls.push(`segments ${id}`);
        return over.segments ?? [];
      },
      audioSource: (id) => ({ read: async () => new Uint8Array(), describe: (k) => `s3://speech/${id}/${k}` }),
    },
  };
  return { deps, calls };
}

function recordingLogger() {
  const warnings: { message: string; fields?: LogFields }[] = [];
  return { warnings, logger: { debug() {}, info() {}, error() {}, warn: (message: string, fields?: LogFields) => void warnings.push({ message, fields }) } };
}

describe('AwsActivitySource', () => {
  it('puts each segment under its phrase in sequence order; a phrase without audio gets no segments', async () => {
    const { deps } = fakeDeps({ segments: [segment(`${A}/c.wav`, 0, 5), segment(`${A}/a.wav`, 0, 1), segment(`${A}/b.wav`, 2, 3)] });
    const loaded = await new AwsActivitySource(deps).load({ activityId: A });
    expect(loaded.manifest).toEqual({
      activityId: A,
      storyId: 'story-1',
      phrases: [
        {
          phraseIndex: 0,
          items: ['a_letter', 'b_sound'],
          segments: [
            { audio: `${A}/a.wav`, sequenceNumber: 1 },
            { audio: `${A}/c.wav`, sequenceNumber: 5 },
          ],
        },
        { phraseIndex: 1, items: ['c_letter'], segments: [] },
        { phraseIndex: 2, items: ['d_sound'], segments: [{ audio: `${A}/b.wav`, sequenceNumber: 3 }] },
      ],
    });
    expect(loaded.source).toBe(`athena:activity_v/${A}`);
    expect(loaded.attributes).toEqual({ studentId: 'stu-1', districtId: 'dist-9', createdAt: '2025-03-04T05:06:07.000Z' });
    // The pipeline's own validation accepts it.
    expect(parseActivity(loaded.manifest, loadDefaultCatalog(), loaded.source).phrases.map((p) => p.segments.length)).toEqual([2, 0, 1]);
  });

  it('warns about segments of a phrase the story does not have, and ignores them', async () => {
    const { deps } = fakeDeps({ segments: [segment(`${A}/a.wav`, 0, 0), segment(`${A}/x.wav`, 9, 1)] });
    const { logger, warnings } = recordingLogger();
    const loaded = await new AwsActivitySource(deps, { logger }).load({ activityId: A, correlationId: 'msg-1' });
    expect(loaded.manifest.phrases.flatMap((p) => p.segments ?? []).map((s) => s.audio)).toEqual([`${A}/a.wav`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ activityId: A, correlationId: 'msg-1', segments: [{ key: `${A}/x.wav`, phraseIndex: 9 }] });
  });

  it('refuses a reference without an activityId before any lookup', async () => {
    const { deps, calls } = fakeDeps();
    await expect(new AwsActivitySource(deps).load({ manifest: 'activity.json' })).rejects.toThrow(ActivityInputError);
    expect(calls).toEqual([]);
  });

  it('refuses an activity of another type without reading its audio', async () => {
    const { deps, calls } = fakeDeps({ record: record({ type: 'oralReadingFluency' }) });
    await expect(new AwsActivitySource(deps).load({ activityId: A })).rejects.toMatchObject({ code: 'unsupported-activity-type' });
    expect(calls).toEqual([`find ${A}`]);
  });
});

const suite = localAwsSuite();

suite.describe('AwsActivitySource (moto)', () => {
  it('loads an activity from Athena and S3 and reads its audio', async () => {
    const s3 = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    const athena = new AthenaClient({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, credentials: LOCAL_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: 'speech' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'config' }));
    await s3.send(new PutObjectCommand({ Bucket: 'config', Key: 'story-phrases.csv', Body: 'storyId,phraseIndex,items\nstory-1,0,a_letter|b_sound\nstory-1,1,c_letter\n' }));
    const put = (name: string, phraseindex: string, sequencenumber: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'speech', Key: `audio/${A}/${name}`, Body: name, Metadata: { phraseindex, sequencenumber, lastsegment: 'false' } }));
    await put('s2.wav', '0', '2');
    await put('s1.wav', '0', '1');
    await put('complete.wav', '0', '0');
    await suite.aws.seedAthenaResults([
      {
        columns: ['activityid', 'storyid', 'studentid', 'districtid', 'type', 'createdat', 'status'],
        rows: [[A, 'story-1', 'stu-1', 'dist-9', 'letterNamingAndSounds', '2025-03-04 05:06:07.000', 'under_review']],
      },
    ]);
    const source = new AwsActivitySource({
      athena: new AthenaQueries(athena, { workgroup: 'primary', database: 'readscore', sleep: async () => {} }),
      stories: new S3StoryPhrases(s3, { bucket: 'config', key: 'story-phrases.csv' }),
      segments: new S3SegmentStore(s3, { bucket: 'speech', prefix: 'audio/', maxSegmentBytes: 1024 }),
    });
    const loaded = await source.load({ activityId: A });
    expect(loaded.manifest.phrases).toEqual([
      {
        phraseIndex: 0,
        items: ['a_letter', 'b_sound'],
        segments: [
          { audio: `audio/${A}/s1.wav`, sequenceNumber: 1 },
          { audio: `audio/${A}/s2.wav`, sequenceNumber: 2 },
        ],
      },
      { phraseIndex: 1, items: ['c_letter'], segments: [] },
    ]);
    expect(new TextDecoder().decode(await loaded.audio.read(`audio/${A}/s2.wav`))).toBe('s2.wav');
    expect(loaded.audio.describe(`audio/${A}/s2.wav`)).toBe(`s3://speech/audio/${A}/s2.wav`);
    expect(loaded.attributes?.createdAt).toBe('2025-03-04T05:06:07.000Z');
  });
});
