/**
 * Unbounded work from tiny inputs: huge gaps in sequence numbers, 100,000 items, thousands of
 * phrases or segments, thousands of references to one WAV, 30 long files. Each is refused by an
 * activity limit with an ActivityInputError naming the limit and how to set it — before the work —
 * and what is within the limits scores in under 1 GB.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createAligner } from '../../aligner';
import { encodeWav } from '../../core/audio';
import { DEFAULT_ACTIVITY_LIMITS } from '../../core/config';
import { ActivityInputError } from '../../core/errors';
import { loadDefaultCatalog } from '../../core/items';
import { readModelFolder } from '../../core/model';
import { parseActivity, scoreActivity } from '../../core/pipeline';
import { buildCostTable, judgePhrases, secondLookConfig } from '../../core/scoring';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { BUNDLED_MODEL } from '../../engines/factory';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';

const catalog = loadDefaultCatalog();
const ID = '0123456789ABCDEF0123456789ABCDEF';
const ROOT = join(__dirname, '..', '..');
type PhraseSpec = { items: string[]; audio?: string; segments?: { audio: string; sequenceNumber: number }[] };
const activity = (phrases: PhraseSpec[]) => parseActivity({ activityId: ID, phrases: phrases.map((p, phraseIndex) => ({ phraseIndex, ...p })) }, catalog, 'activity.json');
const wav = (elements: string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');

let cpu: CpuOnnxEngine;
beforeAll(async () => {
  cpu = await CpuOnnxEngine.load(readModelFolder(writeTestModel()));
});
afterAll(() => cpu.close());

/** Expects scoring to fail with an ActivityInputError of `code` whose message matches. */
async function expectRefused(run: Promise<unknown>, code: string, message: RegExp) {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ActivityInputError);
  expect((error as ActivityInputError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('sequence-number gaps', () => {
  it('segments numbered 0 and 1e9 make one gap, reported as a range', async () => {
    const frames = framesForElements(['ɛf', 'ɛl']);
    const cut = 3 * 320 * 4;
    const wave = craftWave(frames);
    const audio = memoryAudio({ s0: encodeWav(wave.subarray(0, cut), 16000, 'float32'), s1: encodeWav(wave.subarray(cut), 16000, 'float32') });
    const warnings: string[] = [];
    const segments = [
      { audio: 's0', sequenceNumber: 0 },
      { audio: 's1', sequenceNumber: 1e9 },
    ];
    const result = await scoreActivity(activity([{ items: ['f_letter', 'l_letter'], segments }]), cpu, audio, { padSec: 0, logger: { warn: (m) => warnings.push(m) } });
    expect(result.phrases[0]?.heard).toBe('ɛf ɛl');
    expect(warnings).toEqual(['dropped packets: sequence numbers 1–999999999 (999999999) missing after mem:s0']);
  });

  it('many gaps in one phrase give at most 11 warning lines', async () => {
    const audio = memoryAudio({ s: wav(['a']) });
    const segments = Array.from({ length: 30 }, (_, k) => ({ audio: 's', sequenceNumber: 3 * k }));
    const result = await scoreActivity(activity([{ items: ['a_letter'], segments }]), cpu, audio, { padSec: 0 });
    const warnings = result.phrases[0]?.warnings ?? [];
    expect(warnings).toHaveLength(11);
    expect(warnings[10]).toBe('dropped packets: 19 more gaps (38 sequence numbers) not listed');
  });
});

describe('activity limits, refused before any audio is read', () => {
  it('100,000 items in a phrase (the second look would take minutes)', async () => {
    const audio = memoryAudio({ p: wav(['a']) });
    const items = new Array(100_000).fill('a_letter');
    await expectRefused(
      scoreActivity(activity([{ items, audio: 'p' }]), cpu, audio),
      'too-many-items',
      /^activity 0123456789ABCDEF0123456789ABCDEF: phrase 0 has 100000 items; the limit is 200 \(READSCORE_MAX_ITEMS_PER_PHRASE \/ --max-items-per-phrase\)$/,
    );
    expect(audio.reads).toEqual([]);
  });

  it(`${DEFAULT_ACTIVITY_LIMITS.maxPhrases + 1} phrases`, async () => {
    const audio = memoryAudio({});
    const phrases = Array.from({ length: DEFAULT_ACTIVITY_LIMITS.maxPhrases + 1 }, () => ({ items: ['a_letter'], audio: 'p' }));
    await expectRefused(
      scoreActivity(activity(phrases), cpu, audio, { source: 'big/activity.json' }),
      'too-many-phrases',
      /^big\/activity\.json: the activity has 1001 phrases; the limit is 1000 \(READSCORE_MAX_PHRASES/,
    );
    expect(audio.reads).toEqual([]);
  });

  it(`${DEFAULT_ACTIVITY_LIMITS.maxSegments + 1} segments`, async () => {
    const audio = memoryAudio({ s: wav(['a']) });
    const segments = Array.from({ length: DEFAULT_ACTIVITY_LIMITS.maxSegments + 1 }, (_, sequenceNumber) => ({ audio: 's', sequenceNumber }));
    await expectRefused(scoreActivity(activity([{ items: ['a_letter'], segments }]), cpu, audio), 'too-many-segments', /the activity has 5001 audio segments; the limit is 5000/);
    expect(audio.reads).toEqual([]);
  });

  it('a limit given in the options replaces its default only', async () => {
    const audio = memoryAudio({ p: wav(['a']) });
    const phrases = [0, 1, 2].map(() => ({ items: ['a_letter'], audio: 'p' }));
    await expectRefused(scoreActivity(activity(phrases), cpu, audio, { limits: { maxPhrases: 2 } }), 'too-many-phrases', /3 phrases; the limit is 2/);
    expect((await scoreActivity(activity(phrases), cpu, audio, { limits: { maxPhrases: 3 } })).status).toBe('scored');
  });
});

describe('total audio of the activity, summed from the WAV headers as they are read', () => {
  it('5,000 references to one 1 s WAV stop at the limit, long before all are read or decoded', async () => {
    const audio = memoryAudio({ one: encodeWav(new Float32Array(16000), 16000, 'pcm16') });
    const segments = Array.from({ length: 5000 }, (_, sequenceNumber) => ({ audio: 'one', sequenceNumber }));
    await expectRefused(
      scoreActivity(activity([{ items: ['a_letter'], segments }]), cpu, audio, { padSec: 0 }),
      'too-much-audio',
      /: the activity's audio files add up to more than the limit: mem:one brings them to 1201\.0 s; the limit is 1200 s \(READSCORE_MAX_ACTIVITY_AUDIO_SEC \/ --max-activity-audio-sec\)$/,
    );
    expect(audio.reads.length).toBeLessThanOrEqual(1201 + 8);
  });
});

/**
 * Scores `phrases` phrases that each reference a 600 s 16 kHz WAV (a fresh copy per read, as a file
 * read gives) on the bundled model in a child process, and reports the outcome and its peak RSS.
 */
function scoreLongFilesInChild(phrases: number): { outcome: string; reads: number; maxRssMb: number } {
  const script = `
    const { CpuOnnxEngine } = require('./engines/cpuOnnx.ts');
    const { readModelFolder } = require('./core/model/index.ts');
    const { parseActivity, scoreActivity } = require('./core/pipeline/index.ts');
    const { loadDefaultCatalog } = require('./core/items/index.ts');
    const { encodeWav } = require('./core/audio/index.ts');
    (async () => {
      const engine = await CpuOnnxEngine.load(readModelFolder('${BUNDLED_MODEL}'));
      const wave = new Float32Array(600 * 16000);
      for (let i = 0; i < wave.length; i++) wave[i] = 0.1 * Math.sin(i / 7);
      const bytes = encodeWav(wave, 16000, 'pcm16');
      const phrases = Array.from({ length: ${phrases} }, (_, i) => ({ phraseIndex: i, items: ['a_letter'], audio: 'long.wav' }));
      const activity = parseActivity({ activityId: '${ID}', phrases }, loadDefaultCatalog(), 'activity.json');
      let reads = 0;
      const audio = { describe: (ref) => ref, read: async () => (reads++, bytes.slice()) };
      let outcome;
      try {
        outcome = (await scoreActivity(activity, engine, audio)).status;
      } catch (error) {
        outcome = error.code ?? String(error);
      }
      await engine.close();
      process.stdout.write(JSON.stringify({ outcome, reads, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    })();`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (child.status !== 0) throw new Error(`child exited ${child.status} ${child.signal ?? ''}: ${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout);
}

describe('memory follows what is scored (child process, bundled model)', () => {
  it('two 600 s phrases (1200 s, at the activity limit) score in under 1 GB', () => {
    const { outcome, maxRssMb } = scoreLongFilesInChild(2);
    expect(outcome).toBe('scored');
    expect(maxRssMb).toBeLessThan(1024);
  }, 60_000);

  it('30 files of 600 s are refused once the headers pass 1200 s, in under 1 GB, after a handful of reads', () => {
    const { outcome, reads, maxRssMb } = scoreLongFilesInChild(30);
    expect(outcome).toBe('too-much-audio');
    expect(reads).toBeLessThanOrEqual(6);
    expect(maxRssMb).toBeLessThan(1024);
  }, 60_000);
});

describe('second looks cost what the audio costs, not what the item count costs', () => {
  it(`${DEFAULT_ACTIVITY_LIMITS.maxItemsPerPhrase} omitted items in one 60 s phrase share one CTC pass per element`, () => {
    // A phrase nobody answered: 3,000 frames of blank, no element heard, every item omitted, and
    // every omitted item's window is the same gap. Each full CTC pass reads \`blank\` once.
    const frames = 3_000;
    const tokens = ['<pad>', '|', ...catalog.alphabet];
    const data = new Float32Array(frames * tokens.length).fill(Math.log(0.01 / (tokens.length - 1)));
    for (let f = 0; f < frames; f++) data[f * tokens.length] = Math.log(0.99);
    let passes = 0;
    const logProbs = {
      data,
      vocab: tokens.length,
      separator: 1,
      get blank() {
        passes++;
        return 0;
      },
    };
    const items = Array.from({ length: DEFAULT_ACTIVITY_LIMITS.maxItemsPerPhrase }, (_, i) => catalog.items[i % catalog.items.length] as (typeof catalog.items)[number]);
    const hypothesis = {
      elements: [],
      unparsed: [],
      frames,
      frameMs: 20,
      framePosterior: new Float32Array(frames).fill(0.99),
      frameIsBlank: new Uint8Array(frames).fill(1),
      logProbs,
    };
    const aligner = createAligner(buildCostTable(catalog));
    const [result] = judgePhrases([{ phraseIndex: 0, items, hypothesis, leadMs: 0, ownMs: frames * 20 }], aligner, catalog.elements.length, secondLookConfig(catalog, tokens));
    expect(result?.items.map((v) => v.verdict)).toEqual(items.map(() => 'omitted'));
    // One pass per spellable element plus one for silence, for the one window (200 × 87 before).
    expect(passes).toBeLessThanOrEqual(catalog.elements.length + 1);
  });
});
