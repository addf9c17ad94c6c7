/**
 * The speech bucket: lists an activity's streamed segments `<prefix><activityId>/<segment>.wav`
 * with their S3 user metadata, and reads segment audio confined to that one activity's folder.
 */
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { parseSegmentMetadata, type SegmentEntry } from '../../core/contracts/segmentManifest';
import { ActivityInputError, AudioDecodeError, ConfigError } from '../../core/errors';
import type { AudioSource } from '../../core/pipeline/audioSource';

/** Options of {@link S3SegmentStore}. */
export interface S3SegmentStoreOptions {
  readonly bucket: string;
  /** Key prefix before `<activityId>/`: '' (default) or a folder ending in '/'. */
  readonly prefix?: string;
  /** Largest segment accepted, bytes; larger objects are refused before their body is read. */
  readonly maxSegmentBytes: number;
  /** S3 calls in flight at once for HEAD and GET together (default 8). */
  readonly concurrency?: number;
}

const ACTIVITY_ID = /^[0-9A-F]{32}$/;
/** A listing is bounded: 1000 keys a page, so 100 pages is far more segments than any activity has. */
const MAX_LIST_PAGES = 100;

/** Throws ActivityInputError unless `activityId` is 32 upper-case hex characters. */
export function assertActivityId(activityId: string, input = 'activityId'): void {
  if (typeof activityId !== 'string' || !ACTIVITY_ID.test(activityId)) {
    throw new ActivityInputError('invalid-activity-id', input, `"${String(activityId).slice(0, 64)}" must be 32 upper-case hex characters`);
  }
}

/** Limits the number of promises in flight; waiters start in arrival order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes to the next waiter directly, so `active` stays at the limit.
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Reads an activity's segment list and audio from the speech bucket. */
export class S3SegmentStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly maxSegmentBytes: number;
  private readonly gate: Semaphore;

  constructor(
    private readonly s3: S3Client,
    options: S3SegmentStoreOptions,
  ) {
    if (typeof options.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new ConfigError('invalid-option', 'S3SegmentStore.bucket', 'must be an S3 bucket name');
    }
    const prefix = options.prefix ?? '';
    if (
      prefix !== '' &&
      (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.split('/').some((part, i, all) => (part === '' && i < all.length - 1) || part === '.' || part === '..'))
    ) {
      throw new ConfigError('invalid-option', 'S3SegmentStore.prefix', `"${prefix}" must be '' or a folder such as "speech/" (no leading '/', no '.' or '..' parts)`);
    }
    if (!Number.isSafeInteger(options.maxSegmentBytes) || options.maxSegmentBytes <= 0) {
      throw new ConfigError('invalid-option', 'S3SegmentStore.maxSegmentBytes', 'must be a positive integer');
    }
    const concurrency = options.concurrency ?? 8;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new ConfigError('invalid-option', 'S3SegmentStore.concurrency', 'must be an integer from 1 to 64');
    }
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.maxSegmentBytes = options.maxSegmentBytes;
    this.gate = new Semaphore(concurrency);
  }

  /** `s3://bucket/key`, the name of an object in errors and logs. */
  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** The folder of one activity's segments: `<prefix><activityId>/`. */
  activityFolder(activityId: string): string {
    assertActivityId(activityId);
    return `${this.prefix}${activityId}/`;
  }

  /**
   * The activity's segments (every `*.wav` directly in its folder except `complete.wav`) sorted by
   * sequence number. Metadata is parsed strictly (ContractError naming the object: without it the
   * segment's phrase is unknown, so the activity cannot be assembled). An object above
   * `maxSegmentBytes` is listed like any other: reading it is refused (`too-long`, before any body
   * is read), so only its phrase is unscored, not the whole activity.
   */
  async listSegments(activityId: string): Promise<SegmentEntry[]> {
    const folder = this.activityFolder(activityId);
    const listed: { key: string; size: number }[] = [];
    let token: string | undefined;
    for (let page = 0; ; page += 1) {
      if (page >= MAX_LIST_PAGES) throw new AudioDecodeError('too-long', this.describe(folder), `more than ${MAX_LIST_PAGES} listing pages of segments`);
      const out: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folder, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of out.Contents ?? []) {
        const key = object.Key;
        if (!key || !isSegmentKey(key.slice(folder.length))) continue;
        listed.push({ key, size: object.Size ?? 0 });
      }
      if (!out.IsTruncated) break;
      token = out.NextContinuationToken;
      if (!token) throw new Error(`${this.describe(folder)}: the listing is truncated but has no continuation token`);
    }
    const entries = await Promise.all(listed.map((object) => this.gate.run(() => this.head(object.key, object.size))));
    return entries.sort((a, b) => a.sequenceNumber - b.sequenceNumber || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * An AudioSource for one activity. `read(key)` accepts only keys inside the activity's folder
   * (ActivityInputError `outside-activity` otherwise): a manifest must not reach another tenant's audio.
   */
  audioSource(activityId: string): AudioSource {
    const folder = this.activityFolder(activityId);
    return {
      read: async (key: string) => {
        this.assertInside(key, folder);
        return this.gate.run(() => this.get(key));
      },
      describe: (key: string) => this.describe(key),
    };
  }

  private assertInside(key: string, folder: string): void {
    const refuse = (why: string): never => {
      throw new ActivityInputError('outside-activity', this.describe(String(key).slice(0, 512)), `refused: ${why}; only objects under ${this.describe(folder)} may be read`);
    };
    if (typeof key !== 'string' || key.length === 0 || key.length > 1024) refuse('not an object key');
    // S3 keys are literal, but proxies and later tooling may normalise paths: refuse anything that could.
    if (hasControlCharacters(key) || key.includes('\\')) refuse('control characters or backslashes in the key');
    if (/^[a-z][a-z0-9+.-]*:/i.test(key)) refuse('a URI, not a key of this bucket');
    if (key.startsWith('/')) refuse('an absolute path');
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) refuse('empty, "." or ".." path parts');
    if (!key.startsWith(folder) || key.length === folder.length) refuse('outside the activity folder');
  }

  private checkSize(key: string, bytes: number): void {
    if (bytes > this.maxSegmentBytes) {
      throw new AudioDecodeError('too-long', this.describe(key), `the object is ${bytes} bytes, above the segment limit of ${this.maxSegmentBytes} bytes`);
    }
  }

  private async head(key: string, listedSize: number): Promise<SegmentEntry> {
    let out: HeadObjectCommandOutput;
    try {
      out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) throw new AudioDecodeError('missing', this.describe(key), 'the segment was listed but is gone');
      throw error;
    }
    const bytes = out.ContentLength ?? listedSize;
    // Errors name s3://bucket/key; the entry keeps the bare key that read() takes.
    return { ...parseSegmentMetadata(out.Metadata ?? {}, this.describe(key), bytes), key };
  }

  private async get(key: string): Promise<Uint8Array> {
    let body: AsyncIterable<Uint8Array> & { destroy?: () => void };
    let length: number | undefined;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new AudioDecodeError('empty', this.describe(key), 'the object has no body');
      body = out.Body as unknown as typeof body;
      length = out.ContentLength;
    } catch (error) {
      if (isNotFound(error)) throw new AudioDecodeError('missing', this.describe(key), 'no such object');
      throw error;
    }
    if (length !== undefined && length > this.maxSegmentBytes) {
      body.destroy?.();
      this.checkSize(key, length);
    }
    // Counted while streaming too, in case the length header is absent.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > this.maxSegmentBytes) {
        body.destroy?.();
        throw new AudioDecodeError('too-long', this.describe(key), `the object is more than ${this.maxSegmentBytes} bytes, the segment limit`);
      }
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }
}

/** True when `text` holds a C0 control character or DEL. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A segment's name inside the activity folder: `*.wav`, not `complete.wav`, not in a subfolder. */
function isSegmentKey(name: string): boolean {
  return name.length > 0 && !name.includes('/') && /\.wav$/i.test(name) && name.toLowerCase() !== 'complete.wav';
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
