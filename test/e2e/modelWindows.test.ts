/**
 * Each sample through the model once, on a real example and the bundled model: the frames of every
 * phrase's own audio, run with 1 s of context, equal (bit for bit) those of the whole padded phrase
 * followed by 1 s of zeros (as the old padded batch ran every phrase but its longest); only the
 * padding frames are the neighbours'. And they do not depend on the batch: rows alone (the CPU
 * engine) and one zero-padded batch (what Triton gets) give the same bits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeWav, padWithNeighbours, readWavHeader, resample } from '../../core/audio';
import { normalizeForModel, readModelFolder } from '../../core/model';
import { assembleLogits, type ModelWindow, modelWindows, windowInput } from '../../core/pipeline/modelWindows';
import { CpuOnnxEngine, cpuSessionOptions } from '../../engines/cpuOnnx';
import { BUNDLED_MODEL } from '../../engines/factory';

const ROOT = join(__dirname, '..', '..');

function examplePhrases(name: string, rate: number): Float32Array[] {
  const dir = join(ROOT, 'examples', name);
  const activity = JSON.parse(readFileSync(join(dir, 'activity.json'), 'utf8')) as { phrases: { audio: string }[] };
  return activity.phrases.map((p) => {
    const bytes = readFileSync(join(dir, p.audio));
    const wav = decodeWav(bytes, readWavHeader(bytes, p.audio), p.audio);
    return resample(wav.samples, wav.sampleRate, rate);
  });
}

it('own frames from the windows equal those of the whole padded phrase (09-mixed-espeak-john)', async () => {
  const samples = examplePhrases('09-mixed-espeak-john', 16000);
  const model = readModelFolder(join(ROOT, BUNDLED_MODEL));
  const { manifest } = model;
  expect(manifest.contextSec).toBe(1);
  const engine = await CpuOnnxEngine.load(model);
  try {
    const padded = padWithNeighbours(samples, 3 * manifest.sampleRate);
    const thenZeros = (x: Float32Array) => {
      const out = new Float32Array(x.length + manifest.sampleRate);
      out.set(x);
      return out;
    };
    const whole = (await engine.infer(padded.map((p) => thenZeros(normalizeForModel(p?.parts ?? [], manifest))))).logits;
    const windows = modelWindows(padded, manifest);
    const passes = (await engine.infer(windows.map((w) => windowInput(w as ModelWindow, manifest)))).logits;
    const ran = windows.reduce((n, w) => n + (w?.length ?? 0), 0);
    expect(ran / padded.reduce((n, p) => n + (p?.length ?? 0), 0)).toBeLessThan(0.8);
    padded.forEach((p, i) => {
      if (!p) throw new Error('every phrase has audio');
      const { logits } = assembleLogits(i, windows, passes, manifest.frameStride, true);
      const old = whole[i] as (typeof whole)[number];
      expect(logits.frames).toBe(Math.ceil(p.length / manifest.frameStride));
      const from = Math.floor(p.leadSamples / manifest.frameStride) * old.vocab;
      const to = Math.ceil((p.length - p.trailSamples) / manifest.frameStride) * old.vocab;
      expect(Array.from(logits.data.subarray(from, to))).toEqual(Array.from(old.data.subarray(from, to)));
    });
  } finally {
    await engine.close();
  }
});

it('own frames do not depend on the batch: rows alone and one zero-padded batch give the same bits (02-correct-festival-kal)', async () => {
  const model = readModelFolder(join(ROOT, BUNDLED_MODEL));
  const { manifest } = model;
  const padded = padWithNeighbours(examplePhrases('02-correct-festival-kal', manifest.sampleRate), 3 * manifest.sampleRate);
  const windows = modelWindows(padded, manifest);
  const inputs = windows.map((w) => windowInput(w as ModelWindow, manifest));
  const longest = Math.max(...inputs.map((x) => x.length));
  // The case that mattered: the last phrase (no audio after it) is not the batch's longest row.
  expect((inputs.at(-1) as Float32Array).length).toBeLessThan(longest - manifest.sampleRate);
  const engine = await CpuOnnxEngine.load(model);
  const session = await ort.InferenceSession.create(model.onnx, cpuSessionOptions(1));
  try {
    const alone = (await engine.infer(inputs)).logits;
    const batch = new Float32Array(inputs.length * longest);
    for (const [i, x] of inputs.entries()) batch.set(x, i * longest);
    const out = (await session.run({ [manifest.input.name]: new ort.Tensor('float32', batch, [inputs.length, longest]) }))[manifest.output.name] as ort.Tensor;
    const [, frames, vocab] = out.dims as [number, number, number];
    padded.forEach((p, i) => {
      if (!p) throw new Error('every phrase has audio');
      const w = windows[i] as ModelWindow;
      const own = alone[i] as (typeof alone)[number];
      // The frames of the phrase's own audio, in the window's grid.
      const from = Math.floor((p.leadSamples - w.offset) / manifest.frameStride);
      const to = Math.ceil((p.length - p.trailSamples - w.offset) / manifest.frameStride);
      const inBatch = (out.data as Float32Array).subarray(i * frames * vocab + from * vocab, i * frames * vocab + to * vocab);
      expect(Array.from(own.data.subarray(from * vocab, to * vocab))).toEqual(Array.from(inBatch));
    });
  } finally {
    await session.release();
    await engine.close();
  }
});
