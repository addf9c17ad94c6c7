/**
 * Phrase aligner: global weighted edit distance between a phrase's expected items and the heard
 * elements, returning the edit path so every item gets exactly one verdict (domain.md §6.1).
 *
 * @example
 * const aligner = createAligner(table);             // validates the table once
 * const { ops, refIndex, hypIndex } = aligner.align({ ref, hyp, freeLead: 2 });
 */
import { AlignerErrorCode, AlignerInputError } from './errors';
import { loadNativeBinding, NativePhraseAligner, nativeStatus } from './native';
import { TsPhraseAligner } from './ts/phraseAligner';
import type { CostTable, CreateAlignerOptions, PhraseAligner } from './types';
import { validateTable } from './validate';

export { AlignerErrorCode, AlignerInputError } from './errors';
export { MAX_BAND_CELLS, MAX_COST, MAX_SEQUENCE_LENGTH } from './limits';
export { type NativeStatus, nativeStatus } from './native';
export {
  type AlignInput,
  type Alignment,
  type CostTable,
  type CreateAlignerOptions,
  EditOp,
  PairKind,
  type PhraseAligner,
} from './types';

/**
 * Validates the table once (NaN/negative/Infinity costs, sizes, kinds -> AlignerInputError with a
 * clear message) and returns the requested backend; `auto`: native when the built module loads,
 * else the TypeScript fallback (the choice is configuration: READSCORE_ALIGNER, see core/config). `backend: 'native'` throws
 * AlignerInputError('native-unavailable') instead of falling back.
 */
export function createAligner(table: CostTable, options?: CreateAlignerOptions): PhraseAligner {
  const mode = options?.backend ?? 'auto';
  if (mode !== 'auto' && mode !== 'ts' && mode !== 'native') {
    throw new AlignerInputError(AlignerErrorCode.InvalidOption, `options.backend is ${String(mode)}; expected 'auto', 'ts' or 'native'`);
  }
  const valid = validateTable(table);
  if (mode === 'ts') return new TsPhraseAligner(valid);
  const binding = loadNativeBinding();
  if (binding !== undefined) return new NativePhraseAligner(binding, valid);
  if (mode === 'native') {
    const status = nativeStatus();
    throw new AlignerInputError(AlignerErrorCode.NativeUnavailable, `native aligner requested but unavailable: ${status.available ? 'unknown' : status.reason}`);
  }
  return new TsPhraseAligner(valid);
}
