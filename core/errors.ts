/**
 * Typed errors of the scoring core. Each carries a `code` a caller can act on and names the input
 * it is about; the CLI maps them to exit code 2 (bad input).
 */

/** Base of every "the input is wrong" error: the caller should fix the input, not retry. */
export class ReadScoreInputError extends Error {
  readonly code: string;
  /** The file, item or field the error is about. */
  readonly input: string;
  constructor(code: string, input: string, message: string) {
    super(`${input}: ${message}`);
    this.name = new.target.name;
    this.code = code;
    this.input = input;
  }
}

/** Reason codes of {@link AudioDecodeError}. */
export const AudioErrorCode = {
  NotWav: 'not-wav',
  Truncated: 'truncated',
  UnsupportedFormat: 'unsupported-format',
  Empty: 'empty',
  InvalidSamples: 'invalid-samples',
  TooLong: 'too-long',
  Missing: 'missing',
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
} as const;
