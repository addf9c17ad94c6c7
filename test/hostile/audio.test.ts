/**
 * Hostile audio: samples that are finite but absurd, duplicated segment numbers, many resampled
 * segments. Each must give true verdicts, an unscored phrase with a reason, or an input error —
 * never a wrong verdict, a NaN, or a neighbour phrase harmed through the padding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '../../core/audio';
import { validateActivityResult } from '../../core/contracts/activityResult';
import { loadDefaultCatalog } from '../../core/items';
import { readModelFolder } from '../../core/model';
import { type Engine, parseActivity, scoreActivity } from '../../core/pipeline';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { createEngine } from '../../engines/factory';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';
import { makeWav } from '../support/wavFactory';

const catalog = loadDefaultCatalog();
const ID = '0123456789ABCDEF0123456789ABCDEF';
const example = join(__dirname, '..', '..', 'examples', '01-correct-espeak-f3');
const items = JSON.parse(readFileSync(join(example, 'activity.json'), 'utf8')).phrases[0].items as string[];
const spoken = readFileSync(join(example, 'p0.wav'));

type PhraseSpec = { items: string[]; audio?: string; segments?: { audio: string; sequenceNumber: number }[] };
const activity = (phrases: PhraseSpec[]) => parseActivity({ activityId: ID, phrases: phrases.map((p, phraseIndex) => ({ phraseIndex, ...p })) }, catalog, 'activity.json');

/** A float WAV whose samples alternate between ±`peak` (finite, but no recording). */
const huge = (rate: number, peak = 3.4e38) => makeWav({ format: 3, bits: 32, rate, samples: Float64Array.from({ length: rate }, (_, i) => (i % 2 ? peak : -peak)) });

describe('absurd float samples next to a real recording (bundled model)', () => {
  let bundled: Engine;
  beforeAll(async () => {
    bundled = await createEngine({ kind: 'cpu' });
  });
  afterAll(() => bundled.close());

  it.each([
    ['±3.4e38 at 44.1 kHz (overflows the resampler)', huge(44100)],
    ['±3.4e38 at 16 kHz (straight to the model)', huge(16000)],
    ['±1e6 at 48 kHz', huge(48000, 1e6)],
  ])('%s: that phrase is unscored with a reason; its neighbours score as if it were not there', async (_, bytes) => {
    const audio = memoryAudio({ spoken, bad: bytes });
    const alone = await scoreActivity(activity([{ items, audio: 'spoken' }]), bundled, audio);
    const result = await scoreActivity(
      activity([
        { items: ['a_letter', 'b_letter'], audio: 'bad' },
        { items, audio: 'spoken' },
        { items: ['c_letter'], audio: 'bad' },
      ]),
      bundled,
      audio,
    );
    validateActivityResult(result, 'result'); // no NaN anywhere
    expect(result.status).toBe('partial');
    for (const at of [0, 2]) {
      expect(result.phrases[at]?.status).toBe('unscored');
      expect(result.phrases[at]?.reason).toMatchObject({ code: 'invalid-samples', message: expect.stringMatching(/^mem:bad: sample 0 .* float samples beyond ±16 are not audio/) });
    }
    expect(result.phrases[1]?.items).toEqual(alone.phrases[0]?.items);
    expect(result.phrases[1]?.items.every((v) => v.verdict === 'correct' || v.verdict === 'accepted')).toBe(true);
  });
});

describe('segments (test model)', () => {
  let cpu: CpuOnnxEngine;
  beforeAll(async () => {
    cpu = await CpuOnnxEngine.load(readModelFolder(writeTestModel()));
  });
  afterAll(() => cpu.close());
  const wav = (elements: string[], rate = 16000) => encodeWav(craftWave(framesForElements(elements)), rate, 'float32');

  it('two segments with one sequence number: unscored "duplicate-segment" naming both, not one silently dropped', async () => {
    const audio = memoryAudio({ a: wav(['a']), b: wav(['bi']), c: wav(['si']) });
    const result = await scoreActivity(
      activity([
        {
          items: ['a_letter', 'b_letter'],
          segments: [
            { audio: 'a', sequenceNumber: 4 },
            { audio: 'b', sequenceNumber: 4 },
          ],
        },
        { items: ['c_letter'], audio: 'c' },
      ]),
      cpu,
      audio,
      { padSec: 0 },
    );
    expect(result.phrases[0]?.status).toBe('unscored');
    expect(result.phrases[0]?.reason).toEqual({
      code: 'duplicate-segment',
      message: 'phrase 0: sequence number 4 is given to mem:a and mem:b; which one is the real segment is unknown',
    });
    expect(result.phrases[1]?.items[0]?.verdict).toBe('correct');
    expect(audio.reads).toEqual(['c']); // nothing of the duplicated phrase was read
  });

  it('says "resampled" once per phrase, not once per segment', async () => {
    // 48 kHz silence in four segments.
    const silence = encodeWav(new Float32Array(4800), 48000, 'float32');
    const audio = memoryAudio({ s: silence });
    const segments = [0, 1, 2, 3].map((sequenceNumber) => ({ audio: 's', sequenceNumber }));
    const result = await scoreActivity(activity([{ items: ['a_letter'], segments }]), cpu, audio, { padSec: 0 });
    expect(result.phrases[0]?.warnings).toEqual(['mem:s and 3 more segments: resampled 48000 Hz → 16000 Hz']);
  });
});
