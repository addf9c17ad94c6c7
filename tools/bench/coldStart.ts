/**
 * Cold-start probe, run as a fresh process by the pipeline benchmark: import everything, load the
 * engine, score one activity, then print how long after process start the first result existed.
 */
import { performance } from 'node:perf_hooks';
import { readScoreConfig } from '../../core/config';
import { silentLogger } from '../../core/ports';
import { localScorer } from '../../handlers/cli/run';

async function probe(manifest: string, modelDir: string): Promise<void> {
  const scorer = await localScorer(readScoreConfig({ from: 'flags', flags: { model: modelDir } }), { logger: silentLogger });
  const { result } = await scorer.score({ manifest });
  const firstResultMs = performance.now(); // performance.timeOrigin is the process start
  process.stdout.write(`${JSON.stringify({ firstResultMs, maxRssKb: process.resourceUsage().maxRSS, items: result.totals.items })}\n`);
  await scorer.close();
}

probe(process.argv[2] as string, process.argv[3] as string).catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exitCode = 1;
});
