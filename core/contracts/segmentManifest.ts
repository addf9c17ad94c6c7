/**
 * The segment manifest: what the tutoring app writes as S3 user metadata on every streamed segment
 * `<activityId>/<segment>.wav` (domain.md §4.2). S3 lower-cases metadata names and keeps values as
 * strings, so integers are parsed strictly here: "007" is 7, "7.0", "", "-1", "1e3" are refused.
 */
import { z } from 'zod';
import { ContractError, describeIssues } from './errors';

const integerText = z.string().regex(/^[0-9]{1,9}$/, 'must be a non-negative integer written in digits');
const booleanText = z.enum(['true', 'false', '1', '0'], { errorMap: () => ({ message: 'must be true or false' }) });

/** S3 user metadata of one segment object, as S3 returns it. */
export const segmentMetadataSchema = z.object({
  phraseindex: integerText,
  sequencenumber: integerText,
  lastsegment: booleanText.optional(),
});

/** One segment of an activity's audio. */
export interface SegmentEntry {
  /** Object key. */
  readonly key: string;
  readonly phraseIndex: number;
  /** Global across the activity; gaps are dropped packets. */
  readonly sequenceNumber: number;
  readonly lastSegment: boolean;
  /** Size in bytes, from the listing. */
  readonly bytes: number;
}

/** Parses a segment's metadata; `key` names the object in errors. */
export function parseSegmentMetadata(metadata: Readonly<Record<string, string | undefined>>, key: string, bytes: number): SegmentEntry {
  const parsed = segmentMetadataSchema.safeParse(metadata);
  if (!parsed.success) throw new ContractError('segment metadata v1', key, describeIssues(parsed.error));
  const m = parsed.data;
  return {
    key,
    phraseIndex: Number.parseInt(m.phraseindex, 10),
    sequenceNumber: Number.parseInt(m.sequencenumber, 10),
    lastSegment: m.lastsegment === 'true' || m.lastsegment === '1',
    bytes,
  };
}
