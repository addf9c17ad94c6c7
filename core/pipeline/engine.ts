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

/**
 * Runs the acoustic model. `infer` takes a batch of preprocessed (already normalised) 16 kHz
 * waveforms and returns, per waveform, only the logit frames that belong to it.
 */
export interface Engine {
  readonly manifest: ModelManifest;
  describe(): EngineDescription;
  infer(batch: readonly Float32Array[]): Promise<PhraseLogits[]>;
  close(): Promise<void>;
}

/** Inference failed for a reason that is not the input's fault (model crash, server down). */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
  }
}
