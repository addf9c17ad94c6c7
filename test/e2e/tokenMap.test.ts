/**
 * A model whose vocabulary is another phone set, plugged in through the manifest's token map: the
 * random wav2vec2-shaped fixture (espeak-IPA tokens, tools/model/wav2vec2_shape.py) scores an
 * example through the CPU engine, and the decoder sees only the mapped vocabulary, with merged
 * tokens' probabilities summed from the model's real output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localAudioSource } from '../../adapters/local';
import { encodeWav } from '../../core/audio';
import { decodeFrames, frameArgmax, type Hypothesis, type PhraseLogits } from '../../core/decode';
import { loadDefaultCatalog } from '../../core/items';
import { mapVocabulary, readModelFolder } from '../../core/model';
import { type Engine, parseActivityJson, scoreActivity } from '../../core/pipeline';
import { Verdict } from '../../core/scoring/types';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { checkModel } from '../../handlers/cli/modelCheck';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';

// The real decoder, recorded: which logits the pipeline scores frame by frame (once per model
// pass) and which frame scores and vocabulary it decodes (once per phrase).
jest.mock('../../core/decode', () => {
  const actual = jest.requireActual<typeof import('../../core/decode')>('../../core/decode');
  return { ...actual, frameArgmax: jest.fn(actual.frameArgmax), decodeFrames: jest.fn(actual.decodeFrames) };
});
const scorer = jest.mocked(frameArgmax);
const decoder = jest.mocked(decodeFrames);

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'wav2vec2-shape');
const EXAMPLE = join(ROOT, 'examples', '01-correct-espeak-f3');
const catalog = loadDefaultCatalog();

/** Softmax of one frame. */
function probabilities(logits: PhraseLogits, frame: number): number[] {
  const row = Array.from(logits.data.subarray(frame * logits.vocab, (frame + 1) * logits.vocab));
  const max = Math.max(...row);
  const exp = row.map((x) => Math.exp(x - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / sum);
}

describe('a wav2vec2-shaped espeak-IPA model through its token map', () => {
  const folder = readModelFolder(FIXTURE);
  const { manifest } = folder;
  const mapped = mapVocabulary(manifest);
  const renamed = new Set(Object.entries(manifest.tokenMap ?? {}).flatMap(([from, to]) => (from === to ? [] : [from])));
  let engine: CpuOnnxEngine;
  let raw: PhraseLogits[];
  let result: Awaited<ReturnType<typeof scoreActivity>>;

  beforeAll(async () => {
    engine = await CpuOnnxEngine.load(folder);
    // Records the model's own output of each phrase, before the pipeline maps it.
    const recording: Engine = {
      manifest,
      describe: () => engine.describe(),
      close: async () => {},
      infer: async (batch) => {
        const inference = await engine.infer(batch);
        raw = inference.logits;
        return inference;
      },
    };
    scorer.mockClear();
    decoder.mockClear();
    const activity = parseActivityJson(readFileSync(join(EXAMPLE, 'activity.json'), 'utf8'), catalog, 'activity.json');
    result = await scoreActivity(activity, recording, localAudioSource(EXAMPLE), { catalog });
  });
  afterAll(() => engine.close());

  it('is a model of that shape: IPA tokens, some merged, some outside the catalog', () => {
    expect(manifest.vocabulary).toEqual(expect.arrayContaining(['ə', 'ʌ', 'eɪ', 'aɪ', 'iː', 'tʃ', 'dʒ', 'ŋ']));
    expect(manifest.contextSec).toBeUndefined();
    expect(mapped.tokens.length).toBeLessThan(manifest.vocabulary.length);
    expect(mapped.tokens).toEqual(expect.arrayContaining(['ʌ', 'a', 'γ', 'i', 'x', 'j', 'y']));
  });

  it('scores the example into a well-formed result', () => {
    expect(result).toMatchObject({ status: 'scored', model: 'wav2vec2-shape@0.0.1', engine: 'cpu-onnx', modelSha256: manifest.sha256 });
    const verdicts: string[] = [Verdict.Correct, Verdict.Accepted, Verdict.Substituted, Verdict.Omitted];
    for (const phrase of result.phrases) {
      expect(phrase.status).toBe('scored');
      for (const item of phrase.items) {
        expect(verdicts).toContain(item.verdict);
        expect(item.confidence).toBeGreaterThanOrEqual(0);
        expect(item.confidence).toBeLessThanOrEqual(1);
      }
    }
    expect(result.totals.items).toBe(result.phrases.reduce((n, p) => n + p.items.length, 0));
  });

  it('reports tokens outside the catalog as unparsed, and never a token the map renamed', () => {
    const unparsed = result.phrases.flatMap((p) => p.unparsed.map((u) => u.token));
    expect(unparsed.length).toBeGreaterThan(0);
    for (const token of unparsed) {
      expect(renamed.has(token)).toBe(false);
      expect(mapped.tokens).toContain(token);
      expect(catalog.alphabet).not.toContain(token);
    }
    // Symbols the model only has through the map (ɝ from ɜː/ɚ, γ from aɪ, ...) are decoded as elements.
    const mappedOnly = mapped.tokens.filter((t) => catalog.alphabet.includes(t) && !manifest.vocabulary.includes(t));
    const heard = result.phrases.flatMap((p) => p.heard.split(' ').flatMap((e) => Array.from(e)));
    expect(heard.some((symbol) => mappedOnly.includes(symbol))).toBe(true);
  });

  it('decodes logits of the mapped vocabulary size, with the mapped vocabulary', () => {
    // No contextSec: one pass per phrase, each phrase's frames its own pass's.
    expect(scorer).toHaveBeenCalledTimes(result.phrases.length);
    for (const [logits] of scorer.mock.calls) {
      expect(logits.vocab).toBe(mapped.tokens.length);
      expect(logits.data.length).toBe(logits.frames * mapped.tokens.length);
    }
    expect(decoder).toHaveBeenCalledTimes(result.phrases.length);
    for (const [i, [scores, vocabulary]] of decoder.mock.calls.entries()) {
      expect(scores.vocab).toBe(mapped.tokens.length);
      expect(scores.logProbs.length).toBe(scores.frames * mapped.tokens.length);
      expect(vocabulary.tokens).toEqual(mapped.tokens);
      // The second look reads the hypothesis' log-probabilities: the same vocabulary.
      expect((decoder.mock.results[i]?.value as Hypothesis).logProbs?.vocab).toBe(mapped.tokens.length);
    }
  });

  it('gives each merged symbol the sum of its source tokens’ probabilities on the model’s output', () => {
    const merged = mapped.sources.flatMap((group, t) => (group.length > 1 ? [t] : []));
    expect(merged.map((t) => mapped.tokens[t])).toEqual(['ʌ', 'ɝ']);
    raw.forEach((modelOut, i) => {
      const seen = scorer.mock.calls[i]?.[0] as PhraseLogits;
      // No contextSec: each phrase runs whole, so its decoded frames are its pass's frames.
      expect(seen.frames).toBe(modelOut.frames);
      expect(modelOut.vocab).toBe(manifest.vocabulary.length);
      for (let f = 0; f < seen.frames; f += 7) {
        const before = probabilities(modelOut, f);
        const after = probabilities(seen, f);
        mapped.sources.forEach((group, t) => {
          expect(after[t]).toBeCloseTo(
            group.reduce((s, v) => s + (before[v] as number), 0),
            6,
          );
        });
      }
    });
  });
});

describe('model check', () => {
  it('prints the mapped vocabulary and the tokens outside the catalog', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
    try {
      expect(await checkModel(FIXTURE)).toBe(0);
    } finally {
      write.mockRestore();
    }
    const out = lines.join('');
    expect(out).toMatch(/token map: 46 model tokens → 44 decoder tokens \(ə ʌ → ʌ, .*ɜː ɚ → ɝ, .*j → y, .*dʒ → j\)/);
    expect(out).toMatch(/6 decoder tokens outside the catalog alphabet, reported as unparsed when heard: <s> <\/s> <unk> aʊ ŋ ʔ/);
    expect(out).toMatch(/1 s of silence: 49 frames × 46 classes/);
    expect(out).toMatch(/model check passed/);
  });
});

describe('the token map in scoring', () => {
  it('judges a model token by the symbol it maps to', async () => {
    const wav = encodeWav(craftWave(framesForElements(['ɛ'])), 16000, 'float32');
    const activity = parseActivityJson(
      JSON.stringify({ activityId: '0123456789ABCDEF0123456789ABCDEF', phrases: [{ phraseIndex: 0, items: ['e_letter'], audio: 'p.wav' }] }),
      catalog,
      'a.json',
    );
    const verdictWith = async (tokenMap?: Record<string, string>) => {
      const engine = await CpuOnnxEngine.load(readModelFolder(writeTestModel(tokenMap ? { tokenMap } : {})));
      try {
        const result = await scoreActivity(activity, engine, memoryAudio({ 'p.wav': wav }), { padSec: 0, secondLook: false });
        return result.phrases[0]?.items[0];
      } finally {
        await engine.close();
      }
    };
    expect(await verdictWith()).toMatchObject({ verdict: 'substituted', heard: 'ɛ' });
    expect(await verdictWith({ ɛ: 'i' })).toMatchObject({ verdict: 'correct', heard: 'i' });
  });
});
