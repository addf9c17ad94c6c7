/** `readscore score <activity.json|folder>`: scores activities one by one and prints each. */
import type { ActivityResult } from '../../core/scoring/types';
import type { Flags } from './args';
import { ExitCode, failureOf, namingManifest, report } from './failure';
import { formatActivity } from './format';
import { printable } from './printable';
import { openScoring } from './scoring';

/** True when the activity was not fully scored because of its input. */
export const incomplete = (r: ActivityResult) => r.status !== 'scored';

/**
 * Scores every activity `target` names. An activity that fails (bad manifest, unwritable result)
 * is reported on stderr and the others are still scored and printed; the exit code is the worst
 * outcome: 1 for an internal fault, else 2 for any bad input or unscored phrase, else 0.
 */
export async function scoreCommand(target: string, flags: Flags): Promise<number> {
  const run = await openScoring(target, flags, { onWrite: (path) => process.stderr.write(`wrote ${printable(path)}\n`) });
  let code: number = ExitCode.Scored;
  const worse = (c: number) => {
    if (c === ExitCode.Internal || (c === ExitCode.BadInput && code === ExitCode.Scored)) code = c;
  };
  for (const problem of [...run.problems, ...run.duplicates]) worse(report(failureOf(problem, flags.debug)));
  const results: ActivityResult[] = [];
  try {
    for (const manifest of run.manifests) {
      let result: ActivityResult;
      try {
        result = (await run.scorer.score({ manifest })).result;
      } catch (error) {
        worse(report(namingManifest(failureOf(error, flags.debug), manifest)));
        continue;
      }
      results.push(result);
      if (incomplete(result)) worse(ExitCode.BadInput);
      if (!flags.json) process.stdout.write(`${formatActivity(result, manifest)}\n\n`);
      for (const p of result.phrases) {
        if (p.status === 'unscored') process.stderr.write(`${printable(manifest)}: phrase ${p.phraseIndex} unscored: ${printable(p.reason?.message ?? '')}\n`);
      }
    }
  } finally {
    await run.close();
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results.length === 1 && run.manifests.length === 1 ? results[0] : results, null, 2)}\n`);
  else if (results.length > 1) {
    const items = results.reduce((n, r) => n + r.totals.items, 0);
    const correct = results.reduce((n, r) => n + r.totals.correct, 0);
    process.stdout.write(`All ${results.length} activities: ${correct}/${items} items correct or accepted\n`);
  }
  return code;
}
