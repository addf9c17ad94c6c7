/**
 * The S3 results sink: per activity a Parquet file of rows (the Hive partition `dt=`), the full result
 * as JSON, and a `.done` marker written last, so a reader that waits for the marker never sees half a result.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { type ActivityResultV1, validateActivityResult } from '../../core/contracts/activityResult';
import { resultRows } from '../../core/contracts/resultsParquet';
import { ConfigError, ReadScoreInputError } from '../../core/errors';
import { ScoringPolicyName } from '../../core/items';
import type { ResultMeta, ResultSink } from '../../core/ports/resultSink';
import { encodeResultRows } from './parquet';

/** The part of an S3 client the sink uses (an `S3Client` fits). */
export interface S3ObjectWriter {
  send(command: PutObjectCommand | DeleteObjectCommand): Promise<unknown>;
}

/** Options of {@link S3ResultSink}. */
export interface S3ResultSinkOptions {
  readonly bucket: string;
  /** Key prefix ending in `/` (default `results/`). */
  readonly prefix?: string;
  /** KMS key (id, alias or ARN): objects are written with SSE-KMS under it; without it the bucket default applies. */
  readonly kmsKeyId?: string;
}

/** The three keys of one stored result. */
export interface ResultKeys {
  readonly parquet: string;
  readonly json: string;
  readonly marker: string;
}

/** What the `.done` marker holds: enough for a reader to check that it read the objects this write put. */
export interface ResultMarker {
  readonly markerVersion: 1;
  readonly activityId: string;
  readonly rows: number;
  readonly keys: { readonly parquet: string; readonly json: string };
  /** Hex sha256 of each object's bytes. */
  readonly sha256: { readonly parquet: string; readonly json: string };
  readonly modelSha256: string;
  readonly catalog: string;
  readonly correlationId: string;
  readonly scoredAt: string;
}

/** Metadata a sink cannot write with (a malformed partition date, an empty correlation id). */
export class ResultMetaError extends ReadScoreInputError {}

const PARTITION_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The keys of a result: one object set per activity, model file, catalog version and scoring
 * policy, so a redelivery (or a rescore with the same model, catalog and policy) overwrites the same
 * keys, and an assessment rescore of a practice result sits beside it instead of replacing it. The
 * catalog's default policy (practice) adds nothing to the key: results written before policies
 * existed keep their keys, so redelivering them never duplicates rows.
 *
 * @example
 * resultKeys('results/', '2024-05-01', result)
 * // results/dt=2024-05-01/activityId=0123…/ab12cd34ef56-letter-items-1.0.0.parquet (.json, .done)
 * // under the assessment policy: …/ab12cd34ef56-letter-items-1.0.0-assessment.parquet
 */
export function resultKeys(prefix: string, partitionDate: string, result: Pick<ActivityResultV1, 'activityId' | 'modelSha256' | 'catalog' | 'scoringPolicy'>): ResultKeys {
  const slug = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '-');
  const policy = result.scoringPolicy && result.scoringPolicy !== ScoringPolicyName.Practice ? `-${slug(result.scoringPolicy)}` : '';
  const base = `${prefix}dt=${partitionDate}/activityId=${result.activityId}/${result.modelSha256.slice(0, 12)}-${slug(result.catalog)}${policy}`;
  return { parquet: `${base}.parquet`, json: `${base}.json`, marker: `${base}.done` };
}

function checkMeta(meta: ResultMeta, input: string): void {
  const day = PARTITION_DATE.test(meta.partitionDate) ? new Date(`${meta.partitionDate}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== meta.partitionDate) {
    throw new ResultMetaError('bad-partition-date', input, `partitionDate must be a calendar date YYYY-MM-DD, got ${JSON.stringify(meta.partitionDate)}`);
  }
  if (!Number.isFinite(Date.parse(meta.scoredAt))) throw new ResultMetaError('bad-scored-at', input, `scoredAt must be an ISO-8601 time, got ${JSON.stringify(meta.scoredAt)}`);
  if (meta.correlationId.length === 0) throw new ResultMetaError('bad-correlation-id', input, 'correlationId is empty');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/**
 * Writes results to S3 (see the module comment for the layout). Validates the result first; S3 errors
 * propagate, so the message is retried. Before overwriting, it deletes an earlier marker of the same
 * keys: a redelivery that fails half-way must not leave an old marker over new data.
 */
export class S3ResultSink implements ResultSink {
  readonly name = 's3';
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly kmsKeyId: string | undefined;

  constructor(
    private readonly s3: S3ObjectWriter,
    options: S3ResultSinkOptions,
  ) {
    if (options.bucket.length === 0) throw new ConfigError('missing-bucket', 'S3ResultSink.bucket', 'a bucket name is required');
    const prefix = options.prefix ?? 'results/';
    if (prefix !== '' && !prefix.endsWith('/')) throw new ConfigError('bad-prefix', 'S3ResultSink.prefix', `must end with "/", got ${JSON.stringify(prefix)}`);
    if (prefix.startsWith('/')) throw new ConfigError('bad-prefix', 'S3ResultSink.prefix', `must not start with "/", got ${JSON.stringify(prefix)}`);
    if (options.kmsKeyId !== undefined && options.kmsKeyId.length === 0)
      throw new ConfigError('bad-kms-key', 'S3ResultSink.kmsKeyId', 'is empty (omit it to use the bucket default)');
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.kmsKeyId = options.kmsKeyId;
  }

  /** Writes the Parquet rows and the JSON result, then the marker. */
  async write(result: ActivityResultV1, meta: ResultMeta): Promise<void> {
    await this.store(result, meta);
  }

  /** {@link write}, returning the keys and the marker (for logs and tests). */
  async store(result: ActivityResultV1, meta: ResultMeta): Promise<{ keys: ResultKeys; marker: ResultMarker }> {
    const input = `result ${String((result as { activityId?: unknown } | undefined)?.activityId ?? '(no activityId)')}`;
    const valid = validateActivityResult(result, input);
    checkMeta(meta, input);
    const keys = resultKeys(this.prefix, meta.partitionDate, valid);
    const rows = resultRows(valid, meta);
    const parquet = encodeResultRows(rows);
    const json = Buffer.from(`${JSON.stringify({ ...valid, correlationId: meta.correlationId, scoredAt: meta.scoredAt })}\n`, 'utf8');
    const parquetSha = sha256(parquet);
    const jsonSha = sha256(json);
    const marker: ResultMarker = {
      markerVersion: 1,
      activityId: valid.activityId,
      rows: rows.length,
      keys: { parquet: keys.parquet, json: keys.json },
      sha256: { parquet: parquetSha.toString('hex'), json: jsonSha.toString('hex') },
      modelSha256: valid.modelSha256,
      catalog: valid.catalog,
      correlationId: meta.correlationId,
      scoredAt: meta.scoredAt,
    };

    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keys.marker }));
    // Both data objects settle before anything else happens: no write is left in flight when this rejects.
    const data = await Promise.allSettled([
      this.put({ Key: keys.parquet, Body: parquet, ContentType: 'application/vnd.apache.parquet', ChecksumSHA256: parquetSha.toString('base64') }),
      this.put({ Key: keys.json, Body: json, ContentType: 'application/json', ChecksumSHA256: jsonSha.toString('base64') }),
    ]);
    for (const outcome of data) if (outcome.status === 'rejected') throw outcome.reason;
    const markerBytes = Buffer.from(`${JSON.stringify(marker)}\n`, 'utf8');
    await this.put({ Key: keys.marker, Body: markerBytes, ContentType: 'application/json', ChecksumSHA256: sha256(markerBytes).toString('base64') });
    return { keys, marker };
  }

  private put(object: Omit<PutObjectCommandInput, 'Bucket'>): Promise<unknown> {
    const encryption: Partial<PutObjectCommandInput> = this.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId } : {};
    return this.s3.send(new PutObjectCommand({ Bucket: this.bucket, ...object, ...encryption }));
  }
}
