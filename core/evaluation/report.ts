/** The evaluation report (`readscore eval`): what was evaluated, the measures, the trade-off table. */
import type { Evaluation, SecondLookSetting, TradeOffPoint } from './metrics';

/** Version of the report's JSON shape. */
export const EVALUATION_REPORT_FORMAT = 'readscore-eval/1';

/** An activity that was not evaluated, and why. */
export interface NotEvaluated {
  /** Its manifest. */
  readonly manifest: string;
  /** Why, in one line (the error message for a failure). */
  readonly reason: string;
  /** The error code, for failures. */
  readonly code?: string;
}

/** Everything `readscore eval` measured. */
export interface EvaluationReport extends Evaluation {
  readonly format: typeof EVALUATION_REPORT_FORMAT;
  /** The folder or glob evaluated. */
  readonly target: string;
  /** `name@version` and sha256 of the model, the engine that served it, the catalog and policies that judged. */
  readonly model: string;
  readonly modelSha256: string;
  readonly engine: string;
  readonly catalog: string;
  readonly scoringPolicies: readonly string[];
  /** The second look the measures (all but the trade-off table) were taken at. */
  readonly secondLook: SecondLookSetting;
  readonly activities: {
    /** Manifests found. */
    readonly found: number;
    readonly evaluated: number;
    /** No expected.json beside the manifest. */
    readonly skipped: readonly NotEvaluated[];
    /** Bad labels, a manifest that cannot be scored, an internal fault. */
    readonly failed: readonly NotEvaluated[];
  };
  /** Labelled items of the evaluated activities, and items without a label. */
  readonly items: { readonly labelled: number; readonly unlabelled: number };
  /** The same activities scored with the second look off and at each margin. */
  readonly tradeOff: readonly TradeOffPoint[];
}
