/**
 * An engine that runs the model once per distinct batch and answers a repeated batch from memory.
 * Scoring one activity again with another second-look margin sends the engine exactly the same
 * batches (the margin acts after decoding), so an evaluation over N margins runs the model once per
 * activity instead of N times. The caller forgets the memory between activities, so what is held
 * is one activity's logits.
 */
import { createHash } from 'node:crypto';
import type { PhraseLogits } from '../decode';
import type { Engine, Inference } from '../pipeline/engine';

/** An {@link Engine} that replays repeated batches. */
export interface ReplayEngine extends Engine {
  /** Drops every remembered inference. */
  forget(): void;
  /** Batches run by the wrapped engine, and batches answered from memory. */
  readonly stats: { readonly runs: number; readonly replays: number };
}

/** The identity of a batch: a digest of every waveform, in order, with its length. */
function batchKey(batch: readonly Float32Array[]): string {
  const hash = createHash('sha256');
  for (const wave of batch) {
    hash.update(String(wave.length));
    hash.update(':');
    hash.update(new Uint8Array(wave.buffer, wave.byteOffset, wave.byteLength));
  }
  return hash.digest('hex');
}

// Every answer is a copy: whatever a caller does with its logits cannot change a later replay.
const copyOf = (inference: Inference): Inference => ({
  ...inference,
  logits: inference.logits.map((l): PhraseLogits => ({ ...l, data: l.data.slice() })),
});

/**
 * Wraps `engine`. Closing the replay engine does not close `engine` (its owner does).
 *
 * @example
 * const engine = replayEngine(scorer.engine);
 * for (const margin of [0, 2, 4]) await (await localScorer(withMargin(config, margin), { engine })).score({ manifest });
 * engine.forget();
 */
export function replayEngine(engine: Engine): ReplayEngine {
  const memory = new Map<string, Inference>();
  const stats = { runs: 0, replays: 0 };
  return {
    manifest: engine.manifest,
    describe: () => engine.describe(),
    async infer(batch) {
      const key = batchKey(batch);
      const known = memory.get(key);
      if (known) {
        stats.replays++;
        return { ...copyOf(known), modelMs: 0 };
      }
      const inference = await engine.infer(batch);
      stats.runs++;
      memory.set(key, copyOf(inference));
      return inference;
    },
    forget: () => memory.clear(),
    stats,
    close: async () => memory.clear(),
  };
}
