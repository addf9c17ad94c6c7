/**
 * The error family of ReadScore, in one place. Every error carries a `code` (the codes are `as const`
 * tables below) a caller can act on. Two branches:
 *
 * - {@link ReadScoreInputError}: the input is wrong (audio, manifest, item, model folder,
 *   configuration, a message breaking its contract); it names the input. Fix the input, do not
 *   retry; the CLI exits 2, the Lambda reports the record unscored or failed for good.
 * - {@link ReadScoreFault}: something outside the input failed (the engine, Triton, Athena,
 *   AppSync); another attempt may succeed. The CLI exits 1.
 *
 * Adapters define their own codes and subclasses (`adapters/aws/*`), always under one of the two.
 * The aligner (`aligner/errors.ts`) is a self-contained package and keeps its own
 * AlignerInputError; the scoring core never lets it escape (an aligner failure is a fault).
 */

/** Base of every ReadScore error. */
export abstract class ReadScoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Base of every "the input is wrong" error: the caller should fix the input, not retry. */
export class ReadScoreInputError extends ReadScoreError {
  /** The file, item or field the error is about. */
  readonly input: string;
  constructor(code: string, input: string, message: string, options?: { cause?: unknown }) {
    super(code, `${input}: ${message}`, options);
    this.input = input;
  }
}

/** Base of every failure that is not the input's fault (a server down, a model crash): retry later. */
export class ReadScoreFault extends ReadScoreError {}

/** Reason codes of {@link AudioDecodeError}. */
export const AudioErrorCode = {
  NotWav: 'not-wav',
  Truncated: 'truncated',
  UnsupportedFormat: 'unsupported-format',
  Empty: 'empty',
  InvalidSamples: 'invalid-samples',
  TooLong: 'too-long',
  Missing: 'missing',
  /** The file exists but cannot be read (permission denied, symlink loop, name too long, NUL in the path). */
  Unreadable: 'unreadable',
  /** The file is larger than the largest audio file read. */
  TooLarge: 'too-large',
  /** The reference resolves outside the audio root (`../`, an absolute path, a symbolic link). */
  OutsideRoot: 'outside-root',
} as const;
export type AudioErrorCode = (typeof AudioErrorCode)[keyof typeof AudioErrorCode];

/** Audio that cannot be decoded into usable samples. */
export class AudioDecodeError extends ReadScoreInputError {
  declare readonly code: AudioErrorCode;
  // biome-ignore lint/complexity/noUselessConstructor: narrows the code type
  constructor(code: AudioErrorCode, input: string, message: string) {
    super(code, input, message);
  }
}

/** The item catalog or an item id is invalid (unknown item, malformed pronunciation). */
export class CatalogError extends ReadScoreInputError {}

/** An activity manifest that cannot be scored as written (malformed JSON, duplicate phrase, ...). */
export class ActivityInputError extends ReadScoreInputError {}

/** A model folder that does not match its manifest or cannot be loaded. */
export class ModelError extends ReadScoreInputError {}

/** Configuration that fails validation (a flag, an environment variable, stack config). */
export class ConfigError extends ReadScoreInputError {}

/** Codes of the activity-level limits ({@link ActivityInputError}: the activity is refused whole). */
export const LimitErrorCode = {
  /** More seconds of audio than the activity limit (summed from the WAV headers). */
  TooMuchAudio: 'too-much-audio',
  TooManyPhrases: 'too-many-phrases',
  TooManyItems: 'too-many-items',
  TooManySegments: 'too-many-segments',
} as const;
export type LimitErrorCode = (typeof LimitErrorCode)[keyof typeof LimitErrorCode];

/** Reason codes of phrases the pipeline leaves unscored for reasons other than its audio file. */
export const PhraseReasonCode = {
  /** Two segments of the phrase carry the same sequence number: which copy is real is unknown. */
  DuplicateSegment: 'duplicate-segment',
  /** The engine returned NaN/Inf or a wrong shape for the phrase. */
  EngineOutputInvalid: 'engine-output-invalid',
} as const;
export type PhraseReasonCode = (typeof PhraseReasonCode)[keyof typeof PhraseReasonCode];

/** Codes of {@link ModelError} raised when a model's graph contradicts its manifest. */
export const ModelCheckCode = {
  /** The output frame count does not grow by samples / frameStride. */
  StrideMismatch: 'stride-mismatch',
  /** The model produced NaN or Inf logits on a probe. */
  NonFiniteOutput: 'non-finite-output',
  /** A change at one sample moves logits further away than the manifest's contextSec. */
  ContextMismatch: 'context-mismatch',
} as const;

/** Reason codes of {@link EngineError}. */
export const EngineErrorCode = {
  /** The model returned NaN/Inf, a wrong shape or a wrong frame count. */
  BadOutput: 'bad-output',
  /** An empty batch or an empty waveform was passed to `infer`. */
  EmptyInput: 'empty-input',
  /** The runtime failed while running the model. */
  InferenceFailed: 'inference-failed',
  /** The Triton server cannot be reached or failed the call after its retries. */
  Unavailable: 'unavailable',
  /** Too many recent Triton failures: calls go to the fallback (or fail) without trying. */
  BreakerOpen: 'breaker-open',
  /** A Triton response that does not parse or does not match the request. */
  MalformedResponse: 'malformed-response',
  /** The Triton server is up but not ready. */
  ServerNotReady: 'server-not-ready',
  /** The Triton server does not have the model ready. */
  ModelNotReady: 'model-not-ready',
  /** The TLS handshake with Triton did not complete within its deadline. */
  TlsTimeout: 'tls-timeout',
  /** This host cannot run the engine (e.g. big-endian for raw tensor contents). */
  UnsupportedHost: 'unsupported-host',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** Inference failed for a reason that is not the input's fault (model crash, server down). */
export class EngineError extends ReadScoreFault {
  declare readonly code: EngineErrorCode;
  // biome-ignore lint/complexity/noUselessConstructor: narrows the code type
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A message, result or record that breaks its contract (core/contracts). `input` names where it came
 * from (an SQS message id, an S3 key); the message names the contract and the first failing field.
 */
export class ContractError extends ReadScoreInputError {
  /** The contract, e.g. `ScoreRequest v1`. */
  readonly contract: string;
  constructor(contract: string, input: string, message: string) {
    super('contract-violation', input, `${contract}: ${message}`);
    this.contract = contract;
  }
}
