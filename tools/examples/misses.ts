/**
 * Lists the example items the bundled model misjudges and writes them to
 * test/e2e/known-misses.json, the explicit list the e2e test holds the model to. Run after
 * retraining: `npx tsx tools/examples/misses.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readScoreConfig } from '../../core/config';
import { silentLogger } from '../../core/ports';
import { localScorer } from '../../handlers/cli/run';
import { exampleNames, type Miss, scoreExample } from '../../test/e2e/examples';

async function main(): Promise<void> {
  const scorer = await localScorer(readScoreConfig({ from: 'flags', flags: {} }), { logger: silentLogger });
  const engine = scorer.engine;
  const misses: Miss[] = [];
  let items = 0;
  for (const name of exampleNames()) {
    const scored = await scoreExample(name, scorer);
    items += scored.expected.phrases.reduce((n, p) => n + p.items.length, 0);
    misses.push(...scored.misses);
  }
  await scorer.close();
  const path = join(__dirname, '..', '..', 'test', 'e2e', 'known-misses.json');
  writeFileSync(path, `${JSON.stringify({ model: engine.manifest.name + '@' + engine.manifest.version, sha256: engine.manifest.sha256, items, misses }, null, 2)}\n`);
  process.stdout.write(`${misses.length} of ${items} example items misjudged; wrote ${path}\n`);
  for (const m of misses) process.stdout.write(`  ${m.example} phrase ${m.phraseIndex} #${m.position} ${m.item}: expected ${m.expected}, got ${m.actual}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
