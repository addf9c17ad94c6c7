/**
 * AppSync `UpdateActivityFields` variables (domain.md §4): `fieldValues` is AWSJSON, i.e. a JSON
 * *string*. `alignment_errors` has one array per phrase (true = the item was an error); an unscored
 * phrase has an empty array and is listed in `unscored_phrases`, so "not scored" is never read as
 * "no errors".
 */
import { z } from 'zod';
import type { ActivityResultV1 } from './activityResult';
import { ContractError, describeIssues } from './errors';

/** The mutation the product's GraphQL API exposes. */
export const UPDATE_ACTIVITY_MUTATION =
  'mutation UpdateActivityFields($activityId: ID!, $fieldValues: AWSJSON!) { updateActivity(activityId: $activityId, fieldValues: $fieldValues) { activityId } }';

/** The decoded `fieldValues` object. */
export const fieldValuesSchema = z
  .object({
    alignment_errors: z.array(z.array(z.boolean())),
    error_count: z.number().int().nonnegative(),
    total_alignments: z.number().int().nonnegative(),
    /** correct / total_alignments; null when no item was scored. */
    alignment_accuracy: z.number().min(0).max(1).nullable(),
    scoring_status: z.enum(['scored', 'partial', 'unscored']),
    unscored_phrases: z.array(z.number().int().nonnegative()),
    model: z.string().min(1),
  })
  .strict();

/** The variables object sent with the mutation. */
export const appsyncVariablesSchema = z
  .object({
    activityId: z.string().regex(/^[0-9A-F]{32}$/),
    /** AWSJSON: the JSON text of a {@link fieldValuesSchema} object. */
    fieldValues: z.string().superRefine((text, ctx) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'AWSJSON must be JSON text' });
        return;
      }
      const parsed = fieldValuesSchema.safeParse(value);
      if (!parsed.success) ctx.addIssue({ code: z.ZodIssueCode.custom, message: describeIssues(parsed.error) });
    }),
  })
  .strict();

/** Variables of the mutation. */
export type AppSyncVariables = z.infer<typeof appsyncVariablesSchema>;
/** Decoded field values. */
export type FieldValues = z.infer<typeof fieldValuesSchema>;

/** Builds the mutation variables of a result (the producer side). */
export function appsyncVariables(result: ActivityResultV1): AppSyncVariables {
  const scored = result.phrases.filter((p) => p.status === 'scored');
  const fieldValues: FieldValues = {
    alignment_errors: result.phrases.map((p) => (p.status === 'scored' ? p.items.map((v) => v.verdict === 'substituted' || v.verdict === 'omitted') : [])),
    error_count: result.totals.errors,
    total_alignments: scored.reduce((n, p) => n + p.items.length, 0),
    alignment_accuracy: result.totals.accuracy,
    scoring_status: result.status,
    unscored_phrases: result.phrases.filter((p) => p.status === 'unscored').map((p) => p.phraseIndex),
    model: result.model,
  };
  return validateAppSyncVariables({ activityId: result.activityId, fieldValues: JSON.stringify(fieldValues) }, `appsyncVariables(${result.activityId})`);
}

/** Validates variables at a boundary (the AppSync stand-in checks what it receives with this). */
export function validateAppSyncVariables(value: unknown, input: string): AppSyncVariables {
  const parsed = appsyncVariablesSchema.safeParse(value);
  if (!parsed.success) throw new ContractError('AppSync UpdateActivityFields variables v1', input, describeIssues(parsed.error));
  return parsed.data;
}
