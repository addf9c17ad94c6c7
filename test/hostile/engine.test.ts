/**
 * Hostile engine output: NaN/−Inf logits, a wrong class count, truncated frames, a short result
 * list — from a wrapped CPU engine and from a Triton server (the stand-in) with a CPU fallback.
 * The pipeline checks every engine's output in one place: the phrase is unscored with the reason
 * `engine-output-invalid`, its neighbours keep their verdicts, and no NaN reaches the result.
 */
import { encodeWav } from '../../core/audio';
import { validateActivityResult } from '../../core/contracts/activityResult';
import type { PhraseLogits } from '../../core/decode';
import { loadDefaultCatalog } from '../../core/items';
import { readModelFolder } from '../../core/model';
import { type Engine, EngineError, parseActivity, scoreActivity } from '../../core/pipeline';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { parseTritonConfig } from '../../engines/triton/config';
import { TritonEngine } from '../../engines/triton/tritonEngine';
import { createTestCa } from '../../tools/triton/pki';
import { onnxLogits, startStandIn } from '../../tools/triton/standIn';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';

const catalog = loadDefaultCatalog();
const ID = '0123456789ABCDEF0123456789ABCDEF';
const wav = (elements: string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');
const audio = () => memoryAudio({ p0: wav(['a', 'bi']), p1: wav(['si']), p2: wav(['di']) });
const act = parseActivity(
  {
    activityId: ID,
    phrases: [
      { phraseIndex: 0, items: ['a_letter', 'b_letter'], audio: 'p0' },
      { phraseIndex: 1, items: ['c_letter'], audio: 'p1' },
      { phraseIndex: 2, items: ['d_letter'], audio: 'p2' },
    ],
  },
  catalog,
  'activity.json',
);

const modelDir = writeTestModel();
let cpu: CpuOnnxEngine;
beforeAll(async () => {
  cpu = await CpuOnnxEngine.load(readModelFolder(modelDir));
});
afterAll(() => cpu.close());

/** The CPU engine with the logits of batch row 1 (phrase 1) replaced. */
function tampered(change: (logits: PhraseLogits) => PhraseLogits, rows = (n: number) => n): Engine {
  return {
    manifest: cpu.manifest,
    describe: () => ({ ...cpu.describe(), kind: 'tampered' }),
    close: async () => {},
    infer: async (batch) => {
      const real = await cpu.infer(batch);
      const logits = real.logits.map((l, i) => (i === 1 ? change(l) : l)).slice(0, rows(real.logits.length));
      return { ...real, logits, servedBy: 'tampered' };
    },
  };
}

const poisoned = (value: number) => (l: PhraseLogits) => {
  const data = l.data.slice();
  data[Math.floor(data.length / 2)] = value;
  return { ...l, data };
};

function expectOnlyPhrase1Unscored(result: Awaited<ReturnType<typeof scoreActivity>>, message: RegExp) {
  validateActivityResult(result, 'result'); // no NaN anywhere
  expect(result.status).toBe('partial');
  expect(result.phrases.map((p) => p.status)).toEqual(['scored', 'unscored', 'scored']);
  expect(result.phrases[1]?.reason?.code).toBe('engine-output-invalid');
  expect(result.phrases[1]?.reason?.message).toMatch(message);
  expect(result.phrases[0]?.items.map((v) => v.verdict)).toEqual(['correct', 'correct']);
  expect(result.phrases[2]?.items.map((v) => v.verdict)).toEqual(['correct']);
  expect(result.totals).toMatchObject({ items: 3, correct: 3, unscoredPhrases: 1 });
}

describe('engine output checked in the pipeline', () => {
  it.each([
    ['NaN', poisoned(Number.NaN), /^phrase 1: tampered returned logit NaN at frame \d+, class /],
    ['-Inf', poisoned(Number.NEGATIVE_INFINITY), /logit -Infinity at frame/],
    ['+Inf everywhere', (l: PhraseLogits) => ({ ...l, data: new Float32Array(l.data.length).fill(Number.POSITIVE_INFINITY) }), /logit Infinity at frame 0/],
    ['a wrong class count', (l: PhraseLogits) => ({ data: l.data.subarray(0, l.frames * 5), frames: l.frames, vocab: 5 }), /5 classes per frame, but the manifest lists 38/],
    ['no frames at all (a truncated response)', (l: PhraseLogits) => ({ data: new Float32Array(0), frames: 0, vocab: l.vocab }), /0 frames for \d+ samples/],
  ])('%s: that phrase is unscored, the others are scored', async (_, change, message) => {
    expectOnlyPhrase1Unscored(await scoreActivity(act, tampered(change), audio(), { padSec: 0 }), message);
  });

  it('fewer results than phrases fails the call with an EngineError', async () => {
    const short = tampered(
      (l) => l,
      (n) => n - 1,
    );
    await expect(scoreActivity(act, short, audio(), { padSec: 0 })).rejects.toBeInstanceOf(EngineError);
    await expect(scoreActivity(act, short, audio(), { padSec: 0 })).rejects.toThrow(/engine returned 2 results for a batch of 3/);
  });
});

describe('a Triton server returning NaN logits for one phrase (stand-in over TLS)', () => {
  /** A stand-in whose batch row 1 (phrase 1) carries 40 NaN logits, and a Triton engine on it. */
  async function nanTriton(fallbackToCpu: boolean) {
    const model = readModelFolder(modelDir);
    const onnx = await onnxLogits(model);
    const ca = createTestCa();
    const server = await startStandIn({
      model,
      tls: ca.server(['127.0.0.1']),
      logits: async (input, shape) => {
        const out = await onnx.fn(input, shape);
        const data = out.data.slice();
        const perRow = data.length / shape[0];
        data.fill(Number.NaN, perRow, perRow + 40);
        return { data, dims: out.dims };
      },
    });
    const triton = await TritonEngine.load({
      config: parseTritonConfig({ url: `https://127.0.0.1:${server.port}`, ca: { pem: ca.caPem }, fallbackToCpu }),
      model,
      ...(fallbackToCpu ? { fallback: await CpuOnnxEngine.load(model) } : {}),
    });
    return {
      triton,
      close: async () => {
        await triton.close();
        await server.close();
        await onnx.release();
      },
    };
  }

  it('with --fallback-cpu the CPU engine scores the activity: every phrase gets true verdicts', async () => {
    const { triton, close } = await nanTriton(true);
    try {
      const result = await scoreActivity(act, triton, audio(), { padSec: 0 });
      validateActivityResult(result, 'result');
      expect(result.status).toBe('scored');
      expect(result.phrases.map((p) => p.items.map((v) => v.verdict))).toEqual([['correct', 'correct'], ['correct'], ['correct']]);
      expect(result.engine).toBe('cpu-onnx (triton fallback)');
      expect(triton.stats).toMatchObject({ fallbacks: 1, failures: 1 });
    } finally {
      await close();
    }
  });

  it('without a fallback only that phrase is unscored, not verdicts decoded from NaN', async () => {
    const { triton, close } = await nanTriton(false);
    try {
      const result = await scoreActivity(act, triton, audio(), { padSec: 0 });
      expectOnlyPhrase1Unscored(result, /^phrase 1: triton returned logit NaN at frame 0/);
      expect(result.engine).toBe('triton');
    } finally {
      await close();
    }
  });
});
