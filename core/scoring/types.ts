/** Result types of scoring: per-item verdicts, phrase and activity totals, explicit unscored states. */

/** What was decided for one expected item. */
export const Verdict = {
  /** A canonical pronunciation was heard. */
  Correct: 'correct',
  /** An accepted variant was heard. */
  Accepted: 'accepted',
  /** Something else was heard in its place. */
  Substituted: 'substituted',
  /** Nothing was heard for it. */
  Omitted: 'omitted',
  /** Its phrase could not be scored (see the phrase's reason). */
  Unscored: 'unscored',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The verdict of one expected item. */
export interface ItemVerdict {
  /** Position of the item in its phrase. */
  readonly position: number;
  readonly item: string;
  /** Canonical pronunciations of the item. */
  readonly expected: readonly string[];
  readonly verdict: Verdict;
  /** The element heard for it (correct, accepted, substituted); absent when omitted or unscored. */
  readonly heard?: string;
  /** How sure the verdict is, 0..1 (for omissions: how sure the model was that nothing was said). */
  readonly confidence: number;
  readonly startMs?: number;
  readonly endMs?: number;
  /** The answer was heard in the neighbour padding (a late or early answer). */
  readonly inPadding?: boolean;
  /**
   * Set when the second look revised the verdict: what greedy decoding made of the item
   * (`substituted` with the element it heard, or `omitted`), before the item's window was rescored;
   * `correct` or `accepted` when the name-for-sound check found the letter's name said for its sound
   * (`greedy`: the pieces heard, the item's element among them).
   */
  readonly secondLook?: { readonly from: 'substituted' | 'omitted' | 'correct' | 'accepted'; readonly greedy?: string };
}

/** An element heard between items that answers none of them. */
export interface InsertedElement {
  readonly element: string;
  /** Number of items before it in the phrase (0 = before the first item). */
  readonly position: number;
  readonly confidence: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** Counts over items. */
export interface Totals {
  readonly items: number;
  /** Correct plus accepted. */
  readonly correct: number;
  readonly accepted: number;
  /** Substituted plus omitted. */
  readonly errors: number;
  readonly substituted: number;
  readonly omitted: number;
  readonly inserted: number;
  /** correct / items; null when there are no scored items. */
  readonly accuracy: number | null;
}

/** Why a phrase has no verdicts. */
export interface UnscoredReason {
  /** e.g. `no-audio`, `truncated`, `unsupported-format`, `missing`, `engine-failed`. */
  readonly code: string;
  readonly message: string;
}

/** Result of one phrase. */
export interface PhraseResult {
  readonly phraseIndex: number;
  readonly status: 'scored' | 'unscored';
  readonly reason?: UnscoredReason;
  readonly items: readonly ItemVerdict[];
  readonly inserted: readonly InsertedElement[];
  /** Elements heard in the neighbour padding that answer nothing (context, not errors). */
  readonly context: readonly string[];
  /** Tokens that fit no element, with times. */
  readonly unparsed: readonly { token: string; startMs: number; endMs: number }[];
  /** Elements decoded in the phrase's own audio, space-separated (padding excluded). */
  readonly heard: string;
  /** Duration of the phrase's own audio (padding excluded). */
  readonly audioMs: number;
  readonly totals: Totals;
  /** Things noticed that did not stop scoring (dropped packets, resampling). */
  readonly warnings: readonly string[];
}

/** Milliseconds spent per stage for one activity. */
export interface StageTimings {
  read: number;
  resample: number;
  preprocess: number;
  /** The engine call (padding, the model, cutting results). */
  inference: number;
  /** Of which the model itself ran (session.run, or the Triton round trip). */
  model: number;
  decode: number;
  align: number;
  /** Second looks at substituted and omitted items (absent in results written before it was timed). */
  secondLook?: number;
  total: number;
}

/** Result of one activity. */
export interface ActivityResult {
  /** Version of the ActivityResult contract (core/contracts/activityResult.ts). */
  readonly schemaVersion: 1;
  readonly activityId: string;
  readonly storyId?: string;
  /** scored: every phrase scored; partial: some unscored; unscored: none scored. */
  readonly status: 'scored' | 'partial' | 'unscored';
  readonly phrases: readonly PhraseResult[];
  readonly totals: Totals & { readonly phrases: number; readonly unscoredPhrases: number };
  readonly engine: string;
  readonly model: string;
  /** sha256 of the model file that scored it. */
  readonly modelSha256: string;
  /** `name@version` of the item catalog that judged it. */
  readonly catalog: string;
  /** The catalog's scoring policy that judged it (`practice`, `assessment`; always set by the pipeline, optional in the v1 contract). */
  readonly scoringPolicy?: string;
  readonly aligner: 'native' | 'ts';
  readonly timings: StageTimings;
}
