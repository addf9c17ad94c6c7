/**
 * The results Parquet contract: one row per expected item of an activity, in the Hive partition
 * `results/dt=YYYY-MM-DD/`. Columns, their types and nullability are data here so the writer, the
 * JSON Schema under contracts/ and the readers' tests share one definition.
 */
import type { ActivityResultV1 } from './activityResult';

/** The schema version of the Parquet rows. */
export const RESULT_ROWS_VERSION = 1;

/** Column types the writer knows how to encode. */
export type ColumnType = 'string' | 'int32' | 'float64' | 'timestamp-ms';

/** One column of the results table. */
export interface ResultColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly description: string;
}

/** The columns, in file order. */
export const RESULT_COLUMNS = [
  { name: 'activityId', type: 'string', nullable: false, description: '32 upper-case hex characters' },
  { name: 'storyId', type: 'string', nullable: true, description: 'the story the activity follows' },
  { name: 'phraseIndex', type: 'int32', nullable: false, description: '0-based phrase of the story' },
  { name: 'itemIndex', type: 'int32', nullable: false, description: '0-based position of the item in its phrase' },
  { name: 'item', type: 'string', nullable: false, description: 'catalog item id, e.g. b_sound' },
  { name: 'verdict', type: 'string', nullable: false, description: 'correct | accepted | substituted | omitted | unscored' },
  { name: 'heard', type: 'string', nullable: true, description: 'the element heard for the item' },
  { name: 'confidence', type: 'float64', nullable: false, description: '0..1' },
  { name: 'startMs', type: 'float64', nullable: true, description: 'start of the answer in the phrase audio' },
  { name: 'endMs', type: 'float64', nullable: true, description: 'end of the answer in the phrase audio' },
  { name: 'unscoredReason', type: 'string', nullable: true, description: 'reason code when the phrase was unscored' },
  { name: 'modelName', type: 'string', nullable: false, description: 'model name' },
  { name: 'modelVersion', type: 'string', nullable: false, description: 'model version' },
  { name: 'modelSha256', type: 'string', nullable: false, description: 'sha256 of model.onnx' },
  { name: 'catalogVersion', type: 'string', nullable: false, description: 'item catalog name@version' },
  { name: 'scoringPolicy', type: 'string', nullable: true, description: 'policy that judged the item (practice, assessment); null if the result has none' },
  { name: 'engine', type: 'string', nullable: false, description: 'engine that ran the model (cpu-onnx, triton)' },
  { name: 'scoredAt', type: 'timestamp-ms', nullable: false, description: 'UTC time of scoring' },
  { name: 'correlationId', type: 'string', nullable: false, description: 'request correlation id (the SQS message id when none was sent)' },
  { name: 'schemaVersion', type: 'int32', nullable: false, description: `rows schema version (${RESULT_ROWS_VERSION})` },
] as const satisfies readonly ResultColumn[];

/** One row of the results table. */
export interface ResultRow {
  activityId: string;
  storyId: string | null;
  phraseIndex: number;
  itemIndex: number;
  item: string;
  verdict: string;
  heard: string | null;
  confidence: number;
  startMs: number | null;
  endMs: number | null;
  unscoredReason: string | null;
  modelName: string;
  modelVersion: string;
  modelSha256: string;
  catalogVersion: string;
  scoringPolicy: string | null;
  engine: string;
  /** Milliseconds since the epoch (UTC). */
  scoredAt: number;
  correlationId: string;
  schemaVersion: number;
}

/** The rows of one result, in phrase and item order. */
export function resultRows(result: ActivityResultV1, meta: { correlationId: string; scoredAt: string }): ResultRow[] {
  const at = result.model.lastIndexOf('@');
  const modelName = at > 0 ? result.model.slice(0, at) : result.model;
  const modelVersion = at > 0 ? result.model.slice(at + 1) : '';
  const scoredAt = Date.parse(meta.scoredAt);
  if (!Number.isFinite(scoredAt)) throw new RangeError(`scoredAt is not a date: ${meta.scoredAt}`);
  return result.phrases.flatMap((phrase) =>
    phrase.items.map((v) => ({
      activityId: result.activityId,
      storyId: result.storyId ?? null,
      phraseIndex: phrase.phraseIndex,
      itemIndex: v.position,
      item: v.item,
      verdict: v.verdict,
      heard: v.heard ?? null,
      confidence: v.confidence,
      startMs: v.startMs ?? null,
      endMs: v.endMs ?? null,
      unscoredReason: phrase.status === 'unscored' ? (phrase.reason?.code ?? 'unknown') : null,
      modelName,
      modelVersion,
      modelSha256: result.modelSha256,
      catalogVersion: result.catalog,
      scoringPolicy: result.scoringPolicy ?? null,
      engine: result.engine,
      scoredAt,
      correlationId: meta.correlationId,
      schemaVersion: RESULT_ROWS_VERSION,
    })),
  );
}

/** The row schema as JSON Schema (committed under contracts/result-rows/). */
export function resultRowsJsonSchema(): Record<string, unknown> {
  const jsonType: Record<ColumnType, string> = { string: 'string', int32: 'integer', float64: 'number', 'timestamp-ms': 'integer' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ResultRow',
    type: 'object',
    additionalProperties: false,
    required: RESULT_COLUMNS.filter((c) => !c.nullable).map((c) => c.name),
    properties: Object.fromEntries(
      RESULT_COLUMNS.map((c) => [c.name, { type: c.nullable ? [jsonType[c.type], 'null'] : jsonType[c.type], description: `${c.description} (parquet ${c.type})` }]),
    ),
  };
}
