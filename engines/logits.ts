/**
 * What every engine shares about model output: cutting results back to each input,
 * checking a phrase's logits before they are decoded, and checking a graph's frame stride.
 */
import type { PhraseLogits } from '../core/decode';
import { ModelCheckCode, ModelError } from '../core/errors';
import { framesFor, type ModelManifest } from '../core/model';
import { EngineError } from '../core/pipeline/engine';

/**
 * Cuts a `[batch, frames, vocab]` output into per-waveform logits holding only the frames of each
 * waveform's true length (shared by every engine).
 */
export function splitLogits(data: Float32Array, dims: readonly number[], batch: readonly Float32Array[], manifest: ModelManifest): PhraseLogits[] {
  if (dims.length !== 3 || dims[0] !== batch.length) {
    throw new EngineError('bad-output', `model output has shape [${dims.join(', ')}], expected [${batch.length}, frames, ${manifest.vocabulary.length}]`);
  }
  const frames = dims[1] as number;
  const vocab = dims[2] as number;
  if (data.length !== batch.length * frames * vocab) throw new EngineError('bad-output', `model output holds ${data.length} values, shape says ${batch.length * frames * vocab}`);
  return batch.map((wave, i) => {
    const own = Math.min(frames, framesFor(wave.length, manifest));
    const start = i * frames * vocab;
    return { data: data.slice(start, start + own * vocab), frames: own, vocab };
  });
}

/** Frames a phrase's logits may fall short of `samples / frameStride` (a model's receptive field). */
function frameShortfall(expected: number): number {
  return Math.max(8, Math.ceil(expected * 0.02));
}

/**
 * Why one phrase's logits cannot be decoded, or undefined when they can: the wrong class count, a
 * frame count that does not fit the phrase's samples, or a NaN/Inf value. The pipeline runs it on
 * every engine's output (CPU, Triton, a fallback), so a misbehaving server yields an unscored
 * phrase, never verdicts decoded from NaN.
 *
 * @example
 * const problem = logitsProblem(inference.logits[i], waveform.length, engine.manifest);
 */
export function logitsProblem(logits: PhraseLogits | undefined, samples: number, manifest: Pick<ModelManifest, 'frameStride' | 'vocabulary'>): string | undefined {
  if (!logits) return 'no logits';
  const vocab = manifest.vocabulary.length;
  if (logits.vocab !== vocab) return `${logits.vocab} classes per frame, but the manifest lists ${vocab} vocabulary tokens`;
  const expected = framesFor(samples, manifest);
  if (!Number.isInteger(logits.frames) || logits.frames > expected || logits.frames < expected - frameShortfall(expected)) {
    return `${logits.frames} frames for ${samples} samples (${expected} expected at a stride of ${manifest.frameStride})`;
  }
  if (logits.data.length !== logits.frames * vocab) return `${logits.data.length} values for ${logits.frames} frames × ${vocab} classes`;
  const data = logits.data;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    // x - x is 0 for every finite x and NaN for NaN and ±Inf: one comparison per value.
    if (x - x !== 0) return `logit ${x} at frame ${Math.floor(i / vocab)}, class "${manifest.vocabulary[i % vocab]}"`;
  }
  return undefined;
}

/**
 * Checks the manifest's `frameStride` against the graph: runs probes of one and two seconds (at the
 * manifest's rate) and compares how many more frames the longer one gets with what the stride says.
 * `frames(samples)` runs the model on that many samples and returns its output frame count. A wrong
 * stride would misplace every frame in time and cut phrases short, so it fails the load.
 */
export async function verifyFrameStride(frames: (samples: number) => Promise<number>, manifest: Pick<ModelManifest, 'frameStride' | 'sampleRate'>, source: string): Promise<void> {
  const short = manifest.sampleRate;
  const long = 2 * manifest.sampleRate;
  const grown = (await frames(long)) - (await frames(short));
  const expected = (long - short) / manifest.frameStride;
  if (Math.abs(grown - expected) > Math.max(1, expected * 0.01)) {
    const measured = grown > 0 ? ` (${((long - short) / grown).toFixed(1)} samples per frame)` : '';
    throw new ModelError(
      ModelCheckCode.StrideMismatch,
      source,
      `the model gives ${grown} more frames for ${long - short} more samples${measured}, but manifest.json says frameStride ${manifest.frameStride} (${expected.toFixed(1)} frames)`,
    );
  }
}

/**
 * Checks the manifest's `contextSec` (the receptive field the pipeline relies on to run each
 * phrase with only that much of its neighbours, core/pipeline/modelWindows.ts): one sample of a
 * noise probe is changed, and no logit frame further than `contextSec` (plus the frame itself)
 * from it may move. A manifest that claims too little context is refused: it would change the
 * frames at phrase boundaries without any other sign.
 */
export async function verifyContext(
  logitsOf: (batch: readonly Float32Array[]) => Promise<PhraseLogits[]>,
  manifest: Pick<ModelManifest, 'frameStride' | 'sampleRate' | 'contextSec'>,
  source: string,
): Promise<void> {
  if (manifest.contextSec === undefined) return;
  const { frameStride: stride, sampleRate: rate } = manifest;
  const context = Math.ceil(manifest.contextSec * rate);
  const length = 2 * context + 2 * rate;
  const base = new Float32Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    base[i] = (seed / 2 ** 32 - 0.5) * 0.2;
  }
  const at = context + rate;
  const poked = base.slice();
  poked[at] = (poked[at] as number) + 0.5;
  const [a, b] = await logitsOf([base, poked]);
  if (!a || !b) return;
  const reach = Math.ceil(context / stride) + 1;
  const poke = Math.floor(at / stride);
  let furthest = 0;
  for (let f = 0; f < Math.min(a.frames, b.frames); f++) {
    for (let v = f * a.vocab; v < (f + 1) * a.vocab; v++) {
      if (Math.abs((a.data[v] as number) - (b.data[v] as number)) > 1e-5) {
        furthest = Math.max(furthest, Math.abs(f - poke));
        break;
      }
    }
  }
  if (furthest > reach) {
    const ms = Math.round(((furthest * stride) / rate) * 1000);
    throw new ModelError(
      ModelCheckCode.ContextMismatch,
      source,
      `a change at one sample moves logits ${ms} ms away, but manifest.json says contextSec ${manifest.contextSec} (raise it to at least ${(Math.ceil(ms / 100) / 10).toFixed(1)})`,
    );
  }
}
