/**
 * The enqueuer Lambda (EventBridge schedule): finds the activities to score in a window — by default
 * the previous UTC day — and sends one ScoreRequest each, 10 per SendMessageBatch.
 * Handler name in the image: `dist/handlers/lambda/enqueue.handler`.
 */
import { z } from 'zod';
import { sendScoreRequests } from '../../adapters/aws/sqs';
import { scoreRequest } from '../../core/contracts/scoreRequest';
import { ActivityInputError } from '../../core/errors';
import { buildEnqueuerContainer, type EnqueuerContainer } from './container';

/** The event: EventBridge's scheduled event, optionally with `{from, to}` (ISO-8601) to override the window. */
const eventSchema = z
  .object({
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
  })
  .passthrough();

/** What one run did. */
export interface EnqueueSummary {
  readonly from: string;
  readonly to: string;
  readonly found: number;
  readonly sent: number;
  readonly failed: number;
  readonly calls: number;
}

/** The window of an event: `[from, to)`; default the previous UTC day before `now`. */
export function enqueueWindow(event: unknown, now: Date): { from: Date; to: Date } {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new ActivityInputError('invalid-event', 'enqueuer event', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = parsed.data.from ? new Date(parsed.data.from) : new Date(today - 86_400_000);
  const to = parsed.data.to ? new Date(parsed.data.to) : parsed.data.from ? new Date(from.getTime() + 86_400_000) : new Date(today);
  if (from.getTime() >= to.getTime()) throw new ActivityInputError('invalid-event', 'enqueuer event', `from ${from.toISOString()} must be before to ${to.toISOString()}`);
  return { from, to };
}

/** Runs one enqueue; throws when some requests could not be sent (after logging counts). */
export async function enqueue(container: EnqueuerContainer, event: unknown, now = new Date()): Promise<EnqueueSummary> {
  const { from, to } = enqueueWindow(event, now);
  const ids = await container.athena.activitiesToScore(from, to);
  const requests = ids.map((id) => scoreRequest(id, 'enqueuer', { now }));
  const outcome = await sendScoreRequests(container.clients.sqs, container.queueUrl, requests);
  const summary: EnqueueSummary = { from: from.toISOString(), to: to.toISOString(), found: ids.length, sent: outcome.sent, failed: outcome.failed.length, calls: outcome.calls };
  if (outcome.failed.length) {
    container.logger.error('some score requests could not be sent', { ...summary, failedActivities: outcome.failed.slice(0, 20) });
    throw new Error(`enqueuer: ${outcome.failed.length} of ${ids.length} score requests could not be sent`);
  }
  container.logger.info('score requests sent', { ...summary });
  return summary;
}

/** Builds a handler over a container factory (called once per container). */
export function createEnqueueHandler(containerFactory: () => EnqueuerContainer): (event: unknown) => Promise<EnqueueSummary> {
  let container: EnqueuerContainer | undefined;
  return async (event) => {
    container ??= containerFactory();
    return enqueue(container, event);
  };
}

/** The Lambda entry point. */
export const handler = createEnqueueHandler(() => buildEnqueuerContainer(process.env));
