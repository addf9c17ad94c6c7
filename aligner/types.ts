/**
 * Public types of the phrase aligner: the cost table, one alignment request and its result.
 * Shared by the TypeScript fallback and the native (Rust) backend.
 */

/** Edit operations of an alignment path. */
export const EditOp = { Match: 0, Accept: 1, Substitute: 2, Delete: 3, Insert: 4 } as const;
export type EditOp = (typeof EditOp)[keyof typeof EditOp];

/** Pair kinds in the cost table; a diagonal step's op is the pair's kind (Canonical->Match, ...). */
export const PairKind = { Canonical: 0, Accepted: 1, Other: 2 } as const;
export type PairKind = (typeof PairKind)[keyof typeof PairKind];

/** Costs of answering each item (reference symbol) with each element (hypothesis symbol). */
export interface CostTable {
  /** Number of reference symbols (item ids 0..items-1). */
  items: number;
  /** Number of hypothesis symbols (element ids 0..elements-1). */
  elements: number;
  /** items*elements, row-major `[item*elements+element]`: cost of answering item with element; finite, >= 0. */
  sub: Float64Array;
  /** items*elements: PairKind per pair; the op of a diagonal step. */
  kind: Uint8Array;
  /** Cost of an inserted element (finite >= 0). */
  insert: number;
  /** Cost of an omitted item (finite >= 0). */
  delete: number;
}

/** One phrase to align: the expected items against the heard elements. */
export interface AlignInput {
  /** Item ids, in order. */
  ref: Uint32Array;
  /** Element ids, in order. */
  hyp: Uint32Array;
  /** The first freeLead hyp symbols are leading padding: inserting them costs 0. */
  freeLead?: number;
  /** The last freeTrail hyp symbols are trailing padding: inserting them costs 0. */
  freeTrail?: number;
  /**
   * Per hyp symbol (length hyp.length): the cost of inserting it (finite, >= 0, at most MAX_COST),
   * overriding `table.insert` for that symbol; padding symbols (freeLead/freeTrail) stay free.
   * Omitted: every symbol costs `table.insert`.
   *
   * @example
   * // element 1 is a short sound joined to element 2 (a false start): cheaper to call it extra
   * aligner.align({ ref, hyp, insertCost: Float64Array.of(1.25, 0.5, 1.25) });
   */
  insertCost?: Float64Array;
}

/** The minimum-cost edit path; steps are in path order (ref and hyp both ascending). */
export interface Alignment {
  /** EditOp per step, in path order. */
  ops: Uint8Array;
  /** Per step: index into ref, or -1 for Insert. */
  refIndex: Int32Array;
  /** Per step: index into hyp, or -1 for Delete. */
  hypIndex: Int32Array;
  /** Total path cost. */
  cost: number;
}

/** An aligner bound to one validated cost table. */
export interface PhraseAligner {
  /** Which implementation runs the alignments. */
  readonly backend: 'native' | 'ts';
  /** Aligns one phrase; throws AlignerInputError on invalid input. */
  align(input: AlignInput): Alignment;
  /** Aligns many phrases (the native backend spreads them over threads); results in input order. */
  alignBatch(inputs: readonly AlignInput[]): Alignment[];
}

/** Options of createAligner. */
export interface CreateAlignerOptions {
  /** 'auto' (default): native when built, else TS. 'native' throws if unavailable. */
  backend?: 'native' | 'ts' | 'auto';
}
