/**
 * ScoreRequest v1: the body of a scoring-queue message. The enqueuer and `readscore redrive` produce
 * it, the scoring Lambda consumes it; both import this module (domain.md §6.6: `activity_id` vs
 * `activityId` must not happen again).
 */
import { z } from 'zod';
import { ContractError, describeIssues } from './errors';

/** The schema version this code writes. */
export const SCORE_REQUEST_VERSION = 1;

/** Validates a ScoreRequest v1. Unknown fields are refused: a misspelt field is a bug, not data. */
export const scoreRequestSchema = z
  .object({
    schemaVersion: z.literal(SCORE_REQUEST_VERSION),
    /** 32 upper-case hex characters. */
    activityId: z.string().regex(/^[0-9A-F]{32}$/, 'must be 32 upper-case hex characters'),
    /** Travels into every log line, metric and result; the SQS message id is used when absent. */
    correlationId: z.string().min(1).max(128).optional(),
    /** ISO-8601 UTC time the request was made. */
    requestedAt: z.string().datetime({ message: 'must be an ISO-8601 UTC date-time' }),
    /** Who asked: the scheduled enqueuer, a redrive, or a person. */
    source: z.enum(['enqueuer', 'redrive', 'manual']),
  })
  .strict();

/** A scoring request. */
export type ScoreRequest = z.infer<typeof scoreRequestSchema>;

/** Builds a request (the producer side). */
export function scoreRequest(activityId: string, source: ScoreRequest['source'], options: { correlationId?: string; now?: Date } = {}): ScoreRequest {
  return validateScoreRequest(
    {
      schemaVersion: SCORE_REQUEST_VERSION,
      activityId,
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      requestedAt: (options.now ?? new Date()).toISOString(),
      source,
    },
    'scoreRequest()',
  );
}

/** Validates an already-parsed value; `input` names its origin in errors. */
export function validateScoreRequest(value: unknown, input: string): ScoreRequest {
  const parsed = scoreRequestSchema.safeParse(value);
  if (!parsed.success) throw new ContractError('ScoreRequest v1', input, describeIssues(parsed.error));
  return parsed.data;
}

/** Parses a message body (JSON text) into a request; `input` names the message in errors. */
export function parseScoreRequest(body: string, input: string): ScoreRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new ContractError('ScoreRequest v1', input, `the body is not JSON (${(error as Error).message})`);
  }
  return validateScoreRequest(value, input);
}
