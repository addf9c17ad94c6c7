/** The inference engine contract every implementation (CPU ONNX, Triton) satisfies. */
import type { PhraseLogits } from '../decode';
import type { ModelManifest } from '../model';

/** What an engine reports about itself. */
export interface EngineDescription {
  /** e.g. `cpu-onnx`, `triton`. */
  readonly kind: string;
  /** `name@version` of the model it serves. */
  readonly model: string;
  /** Free-form details (threads, URL, ...). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** The result of one batched inference. */
export interface Inference {
  /** Per waveform, only the logit frames that belong to it. */
  readonly logits: PhraseLogits[];
  /** The engine that actually ran it (a Triton engine may fall back to the CPU engine). */
  readonly servedBy: string;
  /** Milliseconds spent running the model itself (`session.run`, or the Triton round trip). */
  readonly modelMs?: number;
}

/**
 * Runs the acoustic model. `infer` takes a batch of preprocessed (already normalised) 16 kHz
 * waveforms and returns one result per waveform.
 */
export interface Engine {
  readonly manifest: ModelManifest;
  describe(): EngineDescription;
  infer(batch: readonly Float32Array[]): Promise<Inference>;
  close(): Promise<void>;
}

export { EngineError, EngineErrorCode } from '../errors';
