/** The error every contract raises (ContractError, defined with the rest of the family in core/errors.ts) and how it names a zod failure. */
import type { ZodError } from 'zod';

export { ContractError } from '../errors';

/** Describes a zod error by its failing fields: `activityId: must be ...; requestedAt: Required`. */
export function describeIssues(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
