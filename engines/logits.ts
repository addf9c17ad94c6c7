/** Batch bookkeeping shared by every engine: padding a batch, cutting results back to each input. */
import type { PhraseLogits } from '../core/decode';
import { framesFor, type ModelManifest } from '../core/model';
import { EngineError } from '../core/pipeline/engine';

/** Copies waveforms into one zero-padded `[batch, longest]` row-major buffer. */
export function padBatch(batch: readonly Float32Array[]): { data: Float32Array; longest: number } {
  const longest = Math.max(0, ...batch.map((b) => b.length));
  const data = new Float32Array(batch.length * longest);
  for (let i = 0; i < batch.length; i++) data.set(batch[i] as Float32Array, i * longest);
  return { data, longest };
}

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
