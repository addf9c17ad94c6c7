/** Typed errors of the aligner: every rejected table or input names the problem and carries a code. */

/** Reason codes of {@link AlignerInputError}. */
export const AlignerErrorCode = {
  /** items/elements/sub/kind sizes do not agree. */
  InvalidTableSize: 'invalid-table-size',
  /** A cost (table or input.insertCost) is NaN, negative, infinite or above MAX_COST. */
  InvalidCost: 'invalid-cost',
  /** A kind is not a PairKind. */
  InvalidKind: 'invalid-kind',
  /** ref/hyp is not a Uint32Array, insertCost not a Float64Array of hyp.length, or the input is not an object. */
  InvalidSequence: 'invalid-sequence',
  /** An item or element id is outside the table. */
  IdOutOfRange: 'id-out-of-range',
  /** freeLead/freeTrail are not non-negative integers or exceed hyp.length together. */
  InvalidPadding: 'invalid-padding',
  /** The input is too large to align within the memory limit. */
  TooLarge: 'too-large',
  /** createAligner options are invalid. */
  InvalidOption: 'invalid-option',
  /** backend 'native' was requested but the native module is not built or failed to load. */
  NativeUnavailable: 'native-unavailable',
} as const;
export type AlignerErrorCode = (typeof AlignerErrorCode)[keyof typeof AlignerErrorCode];

/** A cost table or alignment input that cannot be aligned as given; fix the input, do not retry. */
export class AlignerInputError extends Error {
  readonly code: string;
  constructor(code: AlignerErrorCode | string, message: string) {
    super(message);
    this.name = 'AlignerInputError';
    this.code = code;
  }
}
