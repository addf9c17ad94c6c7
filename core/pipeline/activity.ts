/**
 * The activity manifest: `{activityId, storyId?, phrases: [{phraseIndex, items, audio | segments}]}`,
 * validated before any audio is read. Structural problems are ActivityInputErrors (exit code 2).
 */
import { z } from 'zod';
import { ActivityInputError, CatalogError } from '../errors';
import type { Item, ItemCatalog } from '../items';

const segmentSchema = z.object({
  /** Path or object key of the WAV segment. */
  audio: z.string().min(1),
  /** Global sequence number across the activity. */
  sequenceNumber: z.number().int().nonnegative(),
});

const phraseSchema = z
  .object({
    phraseIndex: z.number().int().nonnegative(),
    items: z.array(z.string().min(1)).min(1, 'a phrase needs at least one item'),
    audio: z.string().min(1).optional(),
    segments: z.array(segmentSchema).optional(),
  })
  .refine((p) => !(p.audio && p.segments), { message: 'give either audio or segments, not both' });

const activitySchema = z.object({
  activityId: z.string().regex(/^[0-9A-F]{32}$/, 'must be 32 upper-case hex characters'),
  storyId: z.string().min(1).optional(),
  /** The catalog policy this activity is judged under (overrides the run's), e.g. `assessment`. */
  scoringPolicy: z.string().min(1).optional(),
  phrases: z.array(phraseSchema).min(1, 'the phrase list is empty'),
});

/** A segment reference of the manifest. */
export type SegmentRef = z.infer<typeof segmentSchema>;
/** A phrase of the manifest as written. */
export type PhraseManifest = z.infer<typeof phraseSchema>;
/** An activity manifest as written. */
export type ActivityManifest = z.infer<typeof activitySchema>;

/** A validated phrase with its items resolved against the catalog. */
export interface Phrase {
  readonly phraseIndex: number;
  readonly items: readonly Item[];
  /** Audio segments in manifest order; empty when the phrase has no audio. */
  readonly segments: readonly SegmentRef[];
}

/** A validated activity: phrases sorted by phraseIndex. */
export interface Activity {
  readonly activityId: string;
  readonly storyId?: string;
  /** The scoring policy the manifest asks for (checked against the catalog's policies). */
  readonly scoringPolicy?: string;
  readonly phrases: readonly Phrase[];
}

/**
 * Validates an activity manifest (already parsed from JSON) and resolves its items. `source` names
 * the manifest in errors.
 */
export function parseActivity(value: unknown, catalog: ItemCatalog, source: string): Activity {
  const parsed = activitySchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ActivityInputError('invalid-activity', source, issues);
  }
  const manifest = parsed.data;
  if (manifest.scoringPolicy !== undefined && !catalog.policies.includes(manifest.scoringPolicy)) {
    throw new ActivityInputError(
      'unknown-policy',
      source,
      `scoringPolicy: "${manifest.scoringPolicy}" is not a policy of catalog ${catalog.name} ${catalog.version} (${catalog.policies.join(', ')})`,
    );
  }
  const seen = new Set<number>();
  for (const phrase of manifest.phrases) {
    if (seen.has(phrase.phraseIndex)) throw new ActivityInputError('duplicate-phrase', source, `phraseIndex ${phrase.phraseIndex} appears twice`);
    seen.add(phrase.phraseIndex);
  }
  const phrases = manifest.phrases
    .map((p): Phrase => {
      const items = p.items.map((name, position) => {
        if (!catalog.hasItem(name)) {
          throw new CatalogError('unknown-item', source, `phrase ${p.phraseIndex} item ${position}: unknown item "${name}" (not in catalog ${catalog.name} ${catalog.version})`);
        }
        return catalog.item(name);
      });
      const segments = p.audio ? [{ audio: p.audio, sequenceNumber: 0 }] : (p.segments ?? []);
      return { phraseIndex: p.phraseIndex, items, segments };
    })
    .sort((a, b) => a.phraseIndex - b.phraseIndex);
  return {
    activityId: manifest.activityId,
    ...(manifest.storyId ? { storyId: manifest.storyId } : {}),
    ...(manifest.scoringPolicy ? { scoringPolicy: manifest.scoringPolicy } : {}),
    phrases,
  };
}

/** Parses manifest text (JSON) and validates it. */
export function parseActivityJson(text: string, catalog: ItemCatalog, source: string): Activity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ActivityInputError('malformed-json', source, `malformed JSON: ${(error as Error).message}`);
  }
  return parseActivity(value, catalog, source);
}
