/**
 * Each sample through the model once, on a real example and the bundled model: the frames of every
 * phrase's own audio, run with 1 s of context, equal (bit for bit) those of the whole padded phrase
 * run as before; only the padding frames are the neighbours'.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav, padWithNeighbours, readWavHeader, resample } from '../../core/audio';
import { normalizeForModel, readModelFolder } from '../../core/model';
import { assembleLogits, type ModelWindow, modelWindows, windowInput } from '../../core/pipeline/modelWindows';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { BUNDLED_MODEL } from '../../engines/factory';

const ROOT = join(__dirname, '..', '..');

it('own frames from the windows equal those of the whole padded phrase (09-mixed-espeak-john)', async () => {
  const dir = join(ROOT, 'examples', '09-mixed-espeak-john');
  const model = readModelFolder(join(ROOT, BUNDLED_MODEL));
  const { manifest } = model;
  expect(manifest.contextSec).toBe(1);
  const engine = await CpuOnnxEngine.load(model);
  try {
    const activity = JSON.parse(readFileSync(join(dir, 'activity.json'), 'utf8')) as { phrases: { audio: string }[] };
    const samples = activity.phrases.map((p) => {
      const bytes = readFileSync(join(dir, p.audio));
      const wav = decodeWav(bytes, readWavHeader(bytes, p.audio), p.audio);
      return resample(wav.samples, wav.sampleRate, manifest.sampleRate);
    });
    const padded = padWithNeighbours(samples, 3 * manifest.sampleRate);
    const whole = (await engine.infer(padded.map((p) => normalizeForModel(p?.parts ?? [], manifest)))).logits;
    const windows = modelWindows(padded, manifest);
    const passes = (await engine.infer(windows.map((w) => windowInput(w as ModelWindow, manifest)))).logits;
    const ran = windows.reduce((n, w) => n + (w?.length ?? 0), 0);
    expect(ran / padded.reduce((n, p) => n + (p?.length ?? 0), 0)).toBeLessThan(0.8);
    padded.forEach((p, i) => {
      if (!p) throw new Error('every phrase has audio');
      const { logits } = assembleLogits(i, windows, passes, manifest.frameStride, true);
      const old = whole[i] as (typeof whole)[number];
      expect(logits.frames).toBe(old.frames);
      const from = Math.floor(p.leadSamples / manifest.frameStride) * old.vocab;
      const to = Math.ceil((p.length - p.trailSamples) / manifest.frameStride) * old.vocab;
      expect(Array.from(logits.data.subarray(from, to))).toEqual(Array.from(old.data.subarray(from, to)));
    });
  } finally {
    await engine.close();
  }
});
