/**
 * ActivityResult v1: what the pipeline returns and what the results sink stores as JSON. The zod
 * schema mirrors `core/scoring/types.ts`; a compile-time check below keeps the two the same.
 */
import { z } from 'zod';
import type { ActivityResult } from '../scoring/types';
import { ContractError, describeIssues } from './errors';

/** The schema version this code writes. */
export const ACTIVITY_RESULT_VERSION = 1;

const verdict = z.enum(['correct', 'accepted', 'substituted', 'omitted', 'unscored']);
const unit = z.number().min(0).max(1);
const ms = z.number().nonnegative();

const itemVerdict = z.object({
  position: z.number().int().nonnegative(),
  item: z.string().min(1),
  expected: z.array(z.string()),
  verdict,
  heard: z.string().optional(),
  confidence: unit,
  startMs: ms.optional(),
  endMs: ms.optional(),
  inPadding: z.boolean().optional(),
  secondLook: z.object({ from: z.enum(['substituted', 'omitted', 'correct', 'accepted']), greedy: z.string().optional() }).optional(),
});

const totals = z.object({
  items: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  substituted: z.number().int().nonnegative(),
  omitted: z.number().int().nonnegative(),
  inserted: z.number().int().nonnegative(),
  accuracy: unit.nullable(),
});

const phraseResult = z.object({
  phraseIndex: z.number().int().nonnegative(),
  status: z.enum(['scored', 'unscored']),
  reason: z.object({ code: z.string().min(1), message: z.string() }).optional(),
  items: z.array(itemVerdict),
  inserted: z.array(z.object({ element: z.string(), position: z.number().int().nonnegative(), confidence: unit, startMs: ms, endMs: ms })),
  context: z.array(z.string()),
  unparsed: z.array(z.object({ token: z.string(), startMs: ms, endMs: ms })),
  heard: z.string(),
  audioMs: ms,
  totals,
  warnings: z.array(z.string()),
});

/** Validates an ActivityResult v1. */
export const activityResultSchema = z.object({
  schemaVersion: z.literal(ACTIVITY_RESULT_VERSION),
  activityId: z.string().regex(/^[0-9A-F]{32}$/, 'must be 32 upper-case hex characters'),
  storyId: z.string().min(1).optional(),
  status: z.enum(['scored', 'partial', 'unscored']),
  phrases: z.array(phraseResult),
  totals: totals.extend({ phrases: z.number().int().nonnegative(), unscoredPhrases: z.number().int().nonnegative() }),
  engine: z.string().min(1),
  model: z.string().min(1),
  /** sha256 of the model file that scored it (part of the idempotency key of stored results). */
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** `name@version` of the item catalog that judged it. */
  catalog: z.string().min(1),
  /** The catalog's scoring policy that judged it (`practice`, `assessment`); versioned with the catalog. */
  scoringPolicy: z.string().min(1).optional(),
  aligner: z.enum(['native', 'ts']),
  timings: z.object({ read: ms, resample: ms, preprocess: ms, inference: ms, model: ms, decode: ms, align: ms, secondLook: ms.optional(), total: ms }),
});

/** An activity result as stored and exchanged. */
export type ActivityResultV1 = z.infer<typeof activityResultSchema>;

// Compile-time: the pipeline's type and the contract's type are the same shape both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<DeepMutable<ActivityResult>, ActivityResultV1> = true;
void sameShape;
type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;

/** Validates a result at a boundary (before it is written, after it is read back). */
export function validateActivityResult(value: unknown, input: string): ActivityResultV1 {
  const parsed = activityResultSchema.safeParse(value);
  if (!parsed.success) throw new ContractError('ActivityResult v1', input, describeIssues(parsed.error));
  return parsed.data;
}
