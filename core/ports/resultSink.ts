/** Where scored results go: a folder for the CLI; S3 (Parquet + JSON) and AppSync in production. */
import type { ActivityResultV1 } from '../contracts/activityResult';

/** What a sink needs besides the result itself. */
export interface ResultMeta {
  readonly correlationId: string;
  /** ISO-8601 UTC time of scoring. */
  readonly scoredAt: string;
  /**
   * The results partition `dt=YYYY-MM-DD`: the activity's creation day (UTC) when its source knows
   * it, else the day of scoring. Stable across redeliveries, so a rescore overwrites the same keys.
   */
  readonly partitionDate: string;
}

/**
 * Persists one activity result. Must be idempotent: writing the same result again (a redelivered
 * message) overwrites, never duplicates. Throws on failure; a failed write must leave nothing that a
 * reader would take for a complete result.
 */
export interface ResultSink {
  readonly name: string;
  write(result: ActivityResultV1, meta: ResultMeta): Promise<void>;
}
