/** The error every contract raises when a value crossing a boundary does not match its schema. */
import type { ZodError } from 'zod';
import { ReadScoreInputError } from '../errors';

/**
 * A message, result or record that breaks its contract. `input` names where it came from (an SQS
 * message id, an S3 key); the message names the first failing field.
 */
export class ContractError extends ReadScoreInputError {
  /** The contract, e.g. `ScoreRequest v1`. */
  readonly contract: string;
  constructor(contract: string, input: string, message: string) {
    super('contract-violation', input, `${contract}: ${message}`);
    this.contract = contract;
  }
}

/** Describes a zod error by its failing fields: `activityId: must be ...; requestedAt: Required`. */
export function describeIssues(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
