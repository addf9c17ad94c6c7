import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { memoryAudio } from '../../test/support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../../test/support/testModel';
import { makeWav } from '../../test/support/wavFactory';
import { encodeWav } from '../audio';
import { ActivityInputError, CatalogError } from '../errors';
import { loadDefaultCatalog } from '../items';
import { readModelFolder } from '../model';
import { parseActivity, parseActivityJson } from './activity';
import type { Engine } from './engine';
import { scoreActivity } from './score';

const catalog = loadDefaultCatalog();
const ID = '0123456789ABCDEF0123456789ABCDEF';
const wav = (elements: string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');

let cpu: CpuOnnxEngine;
beforeAll(async () => {
  cpu = await CpuOnnxEngine.load(readModelFolder(writeTestModel()));
});
afterAll(() => cpu.close());

/** Wraps an engine to count infer calls and batch sizes. */
function counting(engine: Engine) {
  const calls: number[] = [];
  const wrapped: Engine = {
    manifest: engine.manifest,
    describe: () => engine.describe(),
    close: async () => {},
    infer: (batch) => {
      calls.push(batch.length);
      return engine.infer(batch);
    },
  };
  return { engine: wrapped, calls };
}

function activity(phrases: { items: string[]; audio?: string; segments?: { audio: string; sequenceNumber: number }[] }[]) {
  return parseActivity({ activityId: ID, storyId: 'story-1', phrases: phrases.map((p, phraseIndex) => ({ phraseIndex, ...p })) }, catalog, 'activity.json');
}

describe('scoreActivity', () => {
  it('scores every phrase with ONE batched engine call and reports verdicts, totals and timings', async () => {
    const audio = memoryAudio({ 'p0.wav': wav(['a', 'x', 'bi', 'si']), 'p1.wav': wav(['di', 'fʌ']), 'p2.wav': wav(['ɛm']) });
    const { engine, calls } = counting(cpu);
    const result = await scoreActivity(
      activity([
        { items: ['a_letter', 'b_letter', 'c_letter'], audio: 'p0.wav' },
        { items: ['b_letter', 'f_sound'], audio: 'p1.wav' },
        { items: ['m_letter', 'n_letter'], audio: 'p2.wav' },
      ]),
      engine,
      audio,
      { padSec: 0 },
    );
    expect(calls).toEqual([3]);
    expect(result.status).toBe('scored');
    expect(result.phrases.map((p) => p.items.map((v) => `${v.item}:${v.verdict}:${v.heard ?? '-'}`))).toEqual([
      ['a_letter:correct:a', 'b_letter:correct:bi', 'c_letter:correct:si'],
      ['b_letter:substituted:di', 'f_sound:correct:fʌ'],
      ['m_letter:correct:ɛm', 'n_letter:omitted:-'],
    ]);
    expect(result.phrases[0]?.inserted.map((i) => [i.element, i.position])).toEqual([['x', 1]]);
    expect(result.totals).toMatchObject({ items: 7, correct: 5, errors: 2, substituted: 1, omitted: 1, inserted: 1, phrases: 3, unscoredPhrases: 0 });
    expect(result.totals.accuracy).toBeCloseTo(5 / 7, 10);
    for (const stage of ['read', 'resample', 'preprocess', 'inference', 'model', 'decode', 'align', 'secondLook', 'total'] as const)
      expect(result.timings[stage]).toBeGreaterThanOrEqual(0);
    expect(result.timings.total).toBeGreaterThan(0);
    expect(result).toMatchObject({ activityId: ID, storyId: 'story-1', engine: 'cpu-onnx', model: 'frame-picker@0.0.1' });
  });

  it('gives the same verdicts whatever the batch padding (phrases of very different lengths)', async () => {
    const long = encodeWav(craftWave([...framesForElements(['o']), ...new Array(400).fill('_')]), 16000, 'float32');
    const audio = memoryAudio({ short: wav(['bi']), long });
    const together = await scoreActivity(
      activity([
        { items: ['b_letter'], audio: 'short' },
        { items: ['o_letter'], audio: 'long' },
      ]),
      cpu,
      audio,
      { padSec: 0 },
    );
    const alone = await scoreActivity(activity([{ items: ['b_letter'], audio: 'short' }]), cpu, audio, { padSec: 0 });
    expect(together.phrases[0]?.items).toEqual(alone.phrases[0]?.items);
    expect(together.phrases[0]?.heard).toBe('bi');
  });

  it('treats neighbour padding speech as context and keeps phrase verdicts per phrase', async () => {
    const audio = memoryAudio({ p0: wav(['a', 'bi']), p1: wav(['si', 'di']) });
    const result = await scoreActivity(
      activity([
        { items: ['a_letter', 'b_letter'], audio: 'p0' },
        { items: ['c_letter', 'd_letter'], audio: 'p1' },
      ]),
      cpu,
      audio,
      { padSec: 3 },
    );
    expect(result.phrases[0]?.items.map((v) => v.verdict)).toEqual(['correct', 'correct']);
    expect(result.phrases[0]?.context).toEqual(['si', 'di']);
    expect(result.phrases[0]?.inserted).toEqual([]);
    expect(result.phrases[1]?.context).toEqual(['a', 'bi']);
    expect(result.phrases[1]?.items.map((v) => v.verdict)).toEqual(['correct', 'correct']);
  });

  it('assembles segments in sequence order and logs dropped packets', async () => {
    const frames = framesForElements(['ɛf', 'ɛl']);
    const cut = 3 * 320 * 4; // split inside a silent stretch
    const wave = craftWave(frames);
    const audio = memoryAudio({ s1: encodeWav(wave.subarray(0, cut), 16000, 'float32'), s3: encodeWav(wave.subarray(cut), 16000, 'float32') });
    const warnings: string[] = [];
    const result = await scoreActivity(
      activity([
        {
          items: ['f_letter', 'l_letter'],
          segments: [
            { audio: 's3', sequenceNumber: 3 },
            { audio: 's1', sequenceNumber: 1 },
          ],
        },
      ]),
      cpu,
      audio,
      { padSec: 0, logger: { warn: (m) => warnings.push(m) } },
    );
    expect(result.phrases[0]?.heard).toBe('ɛf ɛl');
    expect(warnings).toEqual(['dropped packets: sequence number(s) 2 missing after mem:s1']);
    expect(result.phrases[0]?.warnings).toEqual(warnings);
  });

  it('splits an activity longer than the batch budget into engine calls, with the same verdicts', async () => {
    // Three 100 s phrases: 300 padded seconds exceed one call's 240; two calls, each phrase as alone.
    const long = (element: string) => encodeWav(craftWave([...framesForElements([element]), ...new Array(5000 - 9).fill('_')]), 16000, 'float32');
    const audio = memoryAudio({ p0: long('a'), p1: long('bi'), p2: long('si') });
    const { engine, calls } = counting(cpu);
    const phrases = [
      { items: ['a_letter'], audio: 'p0' },
      { items: ['b_letter'], audio: 'p1' },
      { items: ['c_letter'], audio: 'p2' },
    ];
    const result = await scoreActivity(activity(phrases), engine, audio, { padSec: 0 });
    expect(calls).toEqual([2, 1]);
    expect(result.phrases.map((p) => p.items[0]?.verdict)).toEqual(['correct', 'correct', 'correct']);
    expect(result.timings.inference).toBeGreaterThan(0);
  });

  it('times the second look as its own stage', async () => {
    const audio = memoryAudio({ p: wav(['di']) });
    const result = await scoreActivity(activity([{ items: ['b_letter'], audio: 'p' }]), cpu, audio, { padSec: 0 });
    expect(result.timings.secondLook).toBeGreaterThan(0);
    const off = await scoreActivity(activity([{ items: ['b_letter'], audio: 'p' }]), cpu, audio, { padSec: 0, secondLook: false });
    expect(off.timings.secondLook).toBe(0);
  });

  it('resamples other rates and formats before inference', async () => {
    // A 48 kHz PCM stereo recording of silence: decoded, downmixed, resampled; nothing heard.
    const audio = memoryAudio({ stereo: makeWav({ rate: 48000, channels: 2, samples: new Array(48000 * 2).fill(0) }) });
    const result = await scoreActivity(activity([{ items: ['a_letter'], audio: 'stereo' }]), cpu, audio, { padSec: 0 });
    expect(result.phrases[0]?.items[0]?.verdict).toBe('omitted');
    expect(result.phrases[0]?.audioMs).toBeCloseTo(1000, 5);
    expect(result.phrases[0]?.warnings).toEqual(['mem:stereo: resampled 48000 Hz → 16000 Hz']);
  });

  describe('bad audio makes a phrase unscored with a reason, and the rest is still scored', () => {
    it.each([
      ['corrupt audio', new TextEncoder().encode('garbage'), 'not-wav', /mem:bad: not a WAV file/],
      ['zero-length audio', makeWav({ samples: [] }), 'empty', /zero-length audio/],
      ['NaN samples', makeWav({ format: 3, bits: 32, samples: [0, Number.NaN] }), 'invalid-samples', /NaN/],
      ['µ-law', makeWav({ format: 7, bits: 8, samples: [0] }), 'unsupported-format', /µ-law/],
    ])('%s', async (_, bytes, code, message) => {
      const audio = memoryAudio({ good: wav(['a']), bad: bytes });
      const result = await scoreActivity(
        activity([
          { items: ['a_letter'], audio: 'good' },
          { items: ['b_letter', 'c_letter'], audio: 'bad' },
        ]),
        cpu,
        audio,
      );
      expect(result.status).toBe('partial');
      expect(result.phrases[0]?.items[0]?.verdict).toBe('correct');
      const bad = result.phrases[1];
      expect(bad?.status).toBe('unscored');
      expect(bad?.reason?.code).toBe(code);
      expect(bad?.reason?.message).toMatch(message);
      expect(bad?.items.map((v) => [v.item, v.verdict])).toEqual([
        ['b_letter', 'unscored'],
        ['c_letter', 'unscored'],
      ]);
      expect(result.totals).toMatchObject({ items: 1, unscoredPhrases: 1 });
    });

    it('a phrase with no audio', async () => {
      const result = await scoreActivity(activity([{ items: ['a_letter'] }]), cpu, memoryAudio({}));
      expect(result.status).toBe('unscored');
      expect(result.phrases[0]?.reason).toEqual({ code: 'no-audio', message: 'phrase 0 has no audio' });
    });

    it('a missing segment file', async () => {
      const result = await scoreActivity(activity([{ items: ['a_letter'], segments: [{ audio: 'gone.wav', sequenceNumber: 0 }] }]), cpu, memoryAudio({}));
      expect(result.phrases[0]?.reason).toEqual({ code: 'missing', message: 'mem:gone.wav: audio file not found' });
    });

    it('an audio file over the configured limit', async () => {
      const audio = memoryAudio({ long: makeWav({ rate: 16000, samples: new Array(32000).fill(0) }) });
      const result = await scoreActivity(activity([{ items: ['a_letter'], audio: 'long' }]), cpu, audio, { maxAudioSec: 1 });
      expect(result.phrases[0]?.reason?.code).toBe('too-long');
    });
  });
});

describe('parseActivity', () => {
  const good = { activityId: ID, phrases: [{ phraseIndex: 0, items: ['a_letter'], audio: 'a.wav' }] };
  const expectBad = (value: unknown, error: typeof ActivityInputError | typeof CatalogError, message: RegExp) => {
    expect(() => parseActivity(value, catalog, 'act.json')).toThrow(error);
    expect(() => parseActivity(value, catalog, 'act.json')).toThrow(message);
  };

  it('accepts a valid manifest and sorts phrases by index', () => {
    const a = parseActivity(
      {
        ...good,
        phrases: [
          { ...good.phrases[0], phraseIndex: 2 },
          { phraseIndex: 1, items: ['b_sound'] },
        ],
      },
      catalog,
      'act.json',
    );
    expect(a.phrases.map((p) => p.phraseIndex)).toEqual([1, 2]);
  });
  it('rejects an unknown item, naming it and its phrase', () =>
    expectBad({ ...good, phrases: [{ phraseIndex: 0, items: ['a_letter', 'sh_sound'] }] }, CatalogError, /act\.json: phrase 0 item 1: unknown item "sh_sound"/));
  it('rejects an empty phrase list', () => expectBad({ ...good, phrases: [] }, ActivityInputError, /phrases: the phrase list is empty/));
  it('rejects a duplicate phraseIndex', () => expectBad({ ...good, phrases: [good.phrases[0], good.phrases[0]] }, ActivityInputError, /phraseIndex 0 appears twice/));
  it('rejects a bad activity id', () => expectBad({ ...good, activityId: 'abc' }, ActivityInputError, /activityId: must be 32 upper-case hex/));
  it('rejects a phrase with both audio and segments', () =>
    expectBad({ ...good, phrases: [{ ...good.phrases[0], segments: [] }] }, ActivityInputError, /either audio or segments/));
  it('rejects malformed JSON', () => {
    expect(() => parseActivityJson('{"activityId": ', catalog, 'act.json')).toThrow(/^act\.json: malformed JSON/);
  });
});
