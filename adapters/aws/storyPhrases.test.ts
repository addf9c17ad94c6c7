/** S3StoryPhrases against moto: JSON and CSV tables, validation naming object and row, the TTL cache. */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ContractError } from '../../core/contracts/errors';
import { ActivityInputError, ConfigError } from '../../core/errors';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { parseStoryTable, S3StoryPhrases } from './storyPhrases';

const TABLE = [
  { storyId: 'story-1', phraseIndex: 1, items: ['c_letter', 'd_sound'] },
  { storyId: 'story-1', phraseIndex: 0, items: ['a_letter', 'b_sound'] },
  { storyId: 'story-2', phraseIndex: 0, items: ['e_letter'] },
];

const CSV = 'storyId,phraseIndex,items\r\nstory-1,1,c_letter|d_sound\r\nstory-1,000,a_letter|b_sound\r\n"story-2",0,e_letter\r\n';

describe('parseStoryTable', () => {
  it('reads JSON and CSV into the same rows', () => {
    const json = parseStoryTable(JSON.stringify(TABLE), 't.json', 's3://b/t.json');
    const csv = parseStoryTable(CSV, 't.csv', 's3://b/t.csv');
    const order = (rows: typeof json) => [...rows].sort((a, b) => a.storyId.localeCompare(b.storyId) || a.phraseIndex - b.phraseIndex);
    expect(order(csv)).toEqual(order(json));
  });

  it('picks the format from the content when the key has no known extension', () => {
    expect(parseStoryTable(JSON.stringify(TABLE), 'table', 'src')).toHaveLength(3);
    expect(parseStoryTable(CSV, 'table', 'src')).toHaveLength(3);
  });

  it.each([
    ['a JSON row without items', JSON.stringify([{ storyId: 's', phraseIndex: 0 }]), 't.json', /s3:\/\/b\/t: .*row 0: items: Required/],
    ['a JSON row with a fractional index', JSON.stringify([TABLE[0], { storyId: 's', phraseIndex: 1.5, items: ['a_letter'] }]), 't.json', /row 1: phraseIndex/],
    ['a JSON row with an unknown field', JSON.stringify([{ ...TABLE[0], extra: 1 }]), 't.json', /row 0: .*extra/],
    ['malformed JSON', '[{', 't.json', /malformed JSON/],
    ['a CSV header with other columns', 'story,phrase,items\n', 't.csv', /line 1: the header/],
    ['a CSV index that is not digits', 'storyId,phraseIndex,items\ns,1e3,a_letter\n', 't.csv', /line 2: phraseIndex/],
    ['a CSV row with an empty item', 'storyId,phraseIndex,items\ns,0,a_letter\ns,1,a_letter||b_sound\n', 't.csv', /line 3: items\.1/],
    ['a CSV row with too many fields', 'storyId,phraseIndex,items\ns,0,a_letter,x\n', 't.csv', /line 2: expected 3 fields/],
  ])('refuses %s, naming the object and the row', (_why, text, key, message) => {
    const run = () => parseStoryTable(text, key, 's3://b/t');
    expect(run).toThrow(ContractError);
    expect(run).toThrow(message);
  });
});

const suite = localAwsSuite();

suite.describe('S3StoryPhrases', () => {
  const bucket = 'stories';
  let s3: S3Client;
  let gets = 0;

  async function put(key: string, body: string) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  beforeAll(async () => {
    s3 = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') gets += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countGets' },
    );
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await put('phrases.json', JSON.stringify(TABLE));
    await put('phrases.csv', CSV);
  });

  beforeEach(() => {
    gets = 0;
  });

  it.each(['phrases.json', 'phrases.csv'])('returns a story’s phrases sorted by index from %s', async (key) => {
    const stories = new S3StoryPhrases(s3, { bucket, key });
    expect(await stories.phrases('story-1')).toEqual([
      { phraseIndex: 0, items: ['a_letter', 'b_sound'] },
      { phraseIndex: 1, items: ['c_letter', 'd_sound'] },
    ]);
    expect(await stories.phrases('story-2')).toEqual([{ phraseIndex: 0, items: ['e_letter'] }]);
  });

  it('reports an unknown story as unknown-story', async () => {
    const stories = new S3StoryPhrases(s3, { bucket, key: 'phrases.json' });
    const error = await stories.phrases('story-404').catch((e: ActivityInputError) => e);
    expect(error).toBeInstanceOf(ActivityInputError);
    expect(error).toMatchObject({ code: 'unknown-story' });
    expect((error as Error).message).toContain('story-404');
    expect((error as Error).message).toContain(`s3://${bucket}/phrases.json`);
  });

  it('reads the object once per TTL window, even under concurrent calls', async () => {
    let t = 1_000;
    const stories = new S3StoryPhrases(s3, { bucket, key: 'phrases.json', ttlMs: 10_000, now: () => t });
    await Promise.all(Array.from({ length: 20 }, (_, i) => stories.phrases(i % 2 ? 'story-1' : 'story-2')));
    expect(gets).toBe(1);
    t += 9_999;
    await stories.phrases('story-1');
    expect(gets).toBe(1);
    t += 1;
    await stories.phrases('story-1');
    expect(gets).toBe(2);
  });

  it('returns copies: a caller cannot change the cached table', async () => {
    const stories = new S3StoryPhrases(s3, { bucket, key: 'phrases.json' });
    const first = await stories.phrases('story-2');
    (first[0]?.items as string[]).push('z_letter');
    expect(await stories.phrases('story-2')).toEqual([{ phraseIndex: 0, items: ['e_letter'] }]);
  });

  it('refuses a table with a bad row, naming the object, and does not cache the failure', async () => {
    await put('broken.json', JSON.stringify([{ storyId: 's', phraseIndex: -1, items: ['a_letter'] }]));
    const stories = new S3StoryPhrases(s3, { bucket, key: 'broken.json' });
    await expect(stories.phrases('s')).rejects.toThrow(`s3://${bucket}/broken.json`);
    await put('broken.json', JSON.stringify([{ storyId: 's', phraseIndex: 0, items: ['a_letter'] }]));
    expect(await stories.phrases('s')).toEqual([{ phraseIndex: 0, items: ['a_letter'] }]);
    expect(gets).toBe(2);
  });

  it('refuses a story listed twice for one phrase', async () => {
    await put('dupes.json', JSON.stringify([TABLE[0], TABLE[0]]));
    await expect(new S3StoryPhrases(s3, { bucket, key: 'dupes.json' }).phrases('story-1')).rejects.toThrow('story-1 phrase 1 appears twice');
  });

  it('reports a missing table as a ConfigError naming it', async () => {
    const error = await new S3StoryPhrases(s3, { bucket, key: 'nope.json' }).phrases('s').catch((e: ConfigError) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'missing-story-table', input: `s3://${bucket}/nope.json` });
  });
});
