/** One scoring thread of {@link startScoringPool}: loads its own scorer, scores the manifests it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, ReadScoreInputError } from '../../core/errors';
import type { Scorer } from '../../core/pipeline/scorer';
import { failureOf, namingManifest } from './failure';
import type { SerializedError, WorkerInit, WorkerMessage } from './pool';
import { incomplete } from './score';
import { configFrom, loadScorer } from './scoring';

const port = parentPort;
const init = workerData as WorkerInit;
const send = (message: WorkerMessage) => port?.postMessage(message);

function serialize(error: unknown): SerializedError {
  if (error instanceof ReadScoreInputError) return { input: error.input, code: error.code, message: error.message, config: error instanceof ConfigError };
  return { message: error instanceof Error ? error.message : String(error), config: false };
}

/** This thread's JS heap and external (ArrayBuffer) memory; ORT's native arena is not visible per thread. */
function reportMemory(): void {
  const memory = process.memoryUsage();
  send({ type: 'memory', heapUsedMb: memory.heapUsed / 2 ** 20, externalMb: memory.external / 2 ** 20 });
}

async function main(): Promise<void> {
  if (!port) throw new Error('poolWorker runs as a worker thread only');
  for (const [name, value] of Object.entries(init.env)) if (value !== undefined && process.env[name] === undefined) process.env[name] = value;
  const flags = init.flags;
  let scorer: Scorer;
  try {
    scorer = await loadScorer(configFrom(flags), flags);
  } catch (error) {
    send({ type: 'init-failed', error: serialize(error) });
    return;
  }
  port.on('message', async (message: { type: 'score'; id: number; manifest: string } | { type: 'close' }) => {
    if (message.type === 'close') {
      await scorer.close().catch(() => {});
      port.close();
      return;
    }
    try {
      const { result } = await scorer.score({ manifest: message.manifest });
      reportMemory();
      send({ type: 'outcome', id: message.id, outcome: { ok: true, items: result.totals.items, correct: result.totals.correct, incomplete: incomplete(result) } });
    } catch (error) {
      reportMemory();
      send({ type: 'outcome', id: message.id, outcome: { ok: false, failure: namingManifest(failureOf(error, flags.debug), message.manifest) } });
    }
  });
  send({ type: 'ready' });
}

main().catch((error) => send({ type: 'init-failed', error: serialize(error) }));
