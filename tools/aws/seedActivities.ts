/**
 * Puts local example activities into S3 the way the tutoring app streams them: one object per
 * segment under `<activityId>/`, with the `phraseindex` / `sequencenumber` / `lastsegment` user
 * metadata, plus a `complete.wav` the scorer must ignore. Used by the end-to-end test and the
 * handler benchmark.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { encodeWav, readWav } from '../../core/audio';

/** A local example manifest (single-file phrases). */
export interface ExampleManifest {
  readonly activityId: string;
  readonly storyId: string;
  readonly phrases: readonly { readonly phraseIndex: number; readonly items: readonly string[]; readonly audio: string }[];
}

/** A row of the story-phrase table. */
export interface StoryRow {
  readonly storyId: string;
  readonly phraseIndex: number;
  readonly items: readonly string[];
}

/** Options of {@link uploadActivity}. */
export interface UploadOptions {
  /** Store it under another id (benchmarks copy one example many times). */
  readonly activityId?: string;
  /** Split phrase 0 into two segments at this sample, keyed in reverse of their sequence order. */
  readonly splitFirstPhraseAt?: number;
}

/** Reads an example manifest. */
export function readExampleManifest(path: string): ExampleManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as ExampleManifest;
}

/** Uploads one activity's segments; returns its story rows. */
export async function uploadActivity(s3: S3Client, bucket: string, manifestPath: string, options: UploadOptions = {}): Promise<StoryRow[]> {
  const m = readExampleManifest(manifestPath);
  const activityId = options.activityId ?? m.activityId;
  let sequence = 0;
  for (const phrase of m.phrases) {
    const wav = readWav(readFileSync(join(dirname(manifestPath), phrase.audio)), phrase.audio);
    const cut = phrase.phraseIndex === 0 ? options.splitFirstPhraseAt : undefined;
    const parts = cut ? [wav.samples.subarray(0, cut), wav.samples.subarray(cut)] : [wav.samples];
    for (const [k, part] of parts.entries()) {
      // Key names sort in reverse of the sequence: the scorer must order by metadata, not by key.
      const key = `${activityId}/${String.fromCharCode(122 - (sequence % 26))}-${phrase.phraseIndex}-${k}.wav`;
      const metadata = { phraseindex: String(phrase.phraseIndex).padStart(3, '0'), sequencenumber: String(sequence++), lastsegment: String(k === parts.length - 1) };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: encodeWav(part, wav.sampleRate, 'pcm16'), Metadata: metadata }));
    }
  }
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${activityId}/complete.wav`, Body: 'not a segment' }));
  return m.phrases.map((p) => ({ storyId: m.storyId, phraseIndex: p.phraseIndex, items: p.items }));
}

/** The Athena columns of `activity_v` the scorer selects, and a row for an activity. */
export const ACTIVITY_COLUMNS = ['activityid', 'storyid', 'studentid', 'districtid', 'type', 'createdat', 'status'] as const;
export function activityRow(activityId: string, storyId: string, createdAt = '2026-11-30 14:03:00.000'): string[] {
  return [activityId, storyId, 'student-1', 'district-9', 'letterNamingAndSounds', createdAt, 'under_review'];
}
