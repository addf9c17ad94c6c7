/**
 * The scoring Lambda: SQS → score one activity → results in S3 and AppSync. Partial batch responses
 * (`batchItemFailures`) through Powertools; a failed record is retried by SQS, then dead-lettered.
 * Handler name in the image: `dist/handlers/lambda/score.handler`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseScoreRequest } from '../../core/contracts/scoreRequest';
import { ReadScoreInputError } from '../../core/errors';
import { buildScoringContainer, type ScoringContainer } from './container';

/** The SQS message id, or the request's correlationId when its body carries one. */
export function correlationIdOf(record: SQSRecord): string {
  try {
    const body = JSON.parse(record.body) as { correlationId?: unknown };
    if (typeof body.correlationId === 'string' && body.correlationId.length > 0 && body.correlationId.length <= 128) return body.correlationId;
  } catch {
    // a poison body: the message id identifies it
  }
  return record.messageId;
}

/** Scores the activity one record names; throws to fail the record (SQS retries it, then the DLQ). */
export async function scoreRecord(container: ScoringContainer, record: SQSRecord): Promise<void> {
  const { logger, metrics, scorer } = container;
  const correlationId = correlationIdOf(record);
  await logger.withCorrelation(correlationId, async () => {
    const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1');
    let activityId: string;
    try {
      activityId = parseScoreRequest(record.body, `sqs:${record.messageId}`).activityId;
    } catch (error) {
      logger.error(`poison message, failed for retry and then the DLQ: ${(error as Error).message}`, { messageId: record.messageId, attempt });
      metrics.add('Jobs', 'Failed', 'Count', 1, { Reason: 'contract-violation' });
      throw error;
    }
    try {
      const { result, source } = await scorer.score({ activityId, correlationId });
      metrics.add('Jobs', 'Completed', 'Count', 1);
      logger.info('activity scored', {
        activityId,
        source,
        status: result.status,
        items: result.totals.items,
        errors: result.totals.errors,
        accuracy: result.totals.accuracy,
        unscoredPhrases: result.totals.unscoredPhrases,
        engine: result.engine,
        totalMs: Math.round(result.timings.total),
      });
    } catch (error) {
      const code = error instanceof ReadScoreInputError ? error.code : ((error as { code?: string }).code ?? (error as Error).name);
      logger.error(`scoring failed, the message will be retried: ${(error as Error).message}`, { activityId, attempt, code });
      metrics.add('Jobs', 'Failed', 'Count', 1, { Reason: String(code) });
      throw error;
    }
  });
}

/**
 * Builds a handler over a container factory (called once per container, on the first event).
 *
 * @example
 * export const handler = createScoreHandler(() => buildScoringContainer(process.env));
 */
export function createScoreHandler(containerFactory: () => Promise<ScoringContainer>): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  let container: Promise<ScoringContainer> | undefined;
  const processor = new BatchProcessor(EventType.SQS);
  return async (event, context) => {
    if (!container) {
      container = containerFactory();
      // A failed build is not kept: the next event tries again (and this one fails whole).
      container.catch(() => {
        container = undefined;
      });
    }
    const c = await container;
    c.metrics.coldStart();
    try {
      return await processPartialResponse(event, (record: SQSRecord) => scoreRecord(c, record), processor, {
        context,
        // Every failed record is reported in batchItemFailures, even when all of them failed.
        throwOnFullBatchFailure: false,
        // One at a time: the correlation id is a logger key scoped to the record being scored.
        processInParallel: false,
      });
    } finally {
      c.metrics.publish();
    }
  };
}

/** The Lambda entry point: the container is built from the function's environment. */
export const handler = createScoreHandler(() => buildScoringContainer(process.env));
