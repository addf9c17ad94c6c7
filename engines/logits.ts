/** Batch bookkeeping shared by every engine: padding a batch, cutting results back to each input. */
import type { PhraseLogits } from '../core/decode';
import { framesFor, type ModelManifest } from '../core/model';
import { EngineError } from '../core/pipeline/engine';

/** A padded batch taken from a {@link BatchBuffers} pool; give it back when the call is done. */
export interface PaddedBatch {
  /** `[batch, longest]` row-major, zero-padded; exactly batch × longest long. */
  readonly data: Float32Array;
  readonly longest: number;
  release(): void;
}

/**
 * Reusable input buffers for padded batches. An activity's batch is several MB; a fresh allocation
 * each time costs page faults and GC work that, on a VM, rival the copy itself. Buffers in use by
 * a concurrent call are never shared.
 */
export class BatchBuffers {
  private readonly free: Float32Array[] = [];

  /** Copies waveforms into a zero-padded `[batch, longest]` buffer. */
  pad(batch: readonly Float32Array[]): PaddedBatch {
    const longest = Math.max(0, ...batch.map((b) => b.length));
    const length = batch.length * longest;
    const index = this.free.findIndex((b) => b.length >= length);
    const buffer = index >= 0 ? (this.free.splice(index, 1)[0] as Float32Array) : new Float32Array(length);
    const data = buffer.length === length ? buffer : buffer.subarray(0, length);
    for (let i = 0; i < batch.length; i++) {
      const wave = batch[i] as Float32Array;
      data.set(wave, i * longest);
      data.fill(0, i * longest + wave.length, (i + 1) * longest);
    }
    let released = false;
    return {
      data,
      longest,
      release: () => {
        if (released) return;
        released = true;
        // Keep a few buffers: enough for the concurrent calls of one process.
        if (this.free.length < 4) this.free.push(buffer);
      },
    };
  }
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
