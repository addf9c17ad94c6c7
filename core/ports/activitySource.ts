/** Where an activity comes from: a manifest on disk for the CLI, Athena + S3 in production. */
import type { ActivityManifest } from '../pipeline/activity';
import type { AudioSource } from '../pipeline/audioSource';

/**
 * Names one activity to score. `activityId` is what an SQS message carries; `manifest` is a local
 * activity.json path (CLI). `correlationId` travels into logs, metrics and results.
 */
export interface ActivityRef {
  readonly activityId?: string;
  readonly manifest?: string;
  readonly correlationId?: string;
}

/** An activity as its source describes it, before validation against the catalog. */
export interface LoadedActivity {
  /** Phrases with their item names and audio segment references (validated by the pipeline). */
  readonly manifest: ActivityManifest;
  /** Reads the segments the manifest references. */
  readonly audio: AudioSource;
  /** Names the activity in errors (a file path, `s3://bucket/prefix`, `athena:activity_v/<id>`). */
  readonly source: string;
  /** Facts about the activity that travel into results (studentId, districtId, ...). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** Loads activities by reference. Throws a ReadScoreInputError when the reference names nothing usable. */
export interface ActivitySource {
  load(ref: ActivityRef): Promise<LoadedActivity>;
}
