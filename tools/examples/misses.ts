/**
 * Lists the example items the bundled model misjudges and writes them to
 * test/e2e/known-misses.json, the explicit list the e2e test holds the model to, under this CPU's
 * int8 kernel family (test/e2e/examples.ts `int8Kernels`; the other families' lists are kept while
 * the model is the same). Run after retraining, and once on each family:
 * `npx tsx tools/examples/misses.ts`. With `--every-cpu`, for a model whose arithmetic does not depend
 * on the CPU (float, int8 with uint8 weights, quantize.py's default, or pair-capped int8 weights,
 * pair_safe.py), one list under `all`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readScoreConfig } from '../../core/config';
import { silentLogger } from '../../core/ports';
import { localScorer } from '../../handlers/cli/run';
import { exampleNames, int8Kernels, type KnownMisses, type Miss, scoreExample } from '../../test/e2e/examples';

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
  const everyCpu = process.argv.includes('--every-cpu');
  const family = everyCpu ? 'all' : int8Kernels();
  if (!family) throw new Error(`this CPU's int8 kernels are not a family test/e2e/examples.ts knows (${process.arch}): add it to int8Kernels first`);
  const path = join(__dirname, '..', '..', 'test', 'e2e', 'known-misses.json');
  const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as KnownMisses) : undefined;
  const kept = previous?.sha256 === engine.manifest.sha256 && !everyCpu ? previous.misses : {};
  const file: KnownMisses = { model: `${engine.manifest.name}@${engine.manifest.version}`, sha256: engine.manifest.sha256, items, misses: { ...kept, [family]: misses } };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  process.stdout.write(`${misses.length} of ${items} example items misjudged (${everyCpu ? 'every CPU' : `int8 kernels "${family}"`}); wrote ${path}\n`);
  for (const m of misses) process.stdout.write(`  ${m.example} phrase ${m.phraseIndex} #${m.position} ${m.item}: expected ${m.expected}, got ${m.actual}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
