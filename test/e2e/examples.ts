/**
 * Scores the example activities with the bundled model and compares each item's judgement with
 * the example's expected.json. Shared by the e2e test and `tools/examples/misses.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scorer } from '../../core/pipeline/scorer';
import type { ActivityResult } from '../../core/scoring/types';

/** The examples folder and the bundled model, from the project root. */
export const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** What expected.json says. */
export interface ExpectedActivity {
  activityId: string;
  phrases: { phraseIndex: number; items: { item: string; verdict: string; heardAs?: string }[]; inserted?: string[] }[];
}

/** One item whose judgement (ok = correct/accepted, error = substituted/omitted) differs from the truth. */
export interface Miss {
  example: string;
  phraseIndex: number;
  position: number;
  item: string;
  expected: string;
  actual: string;
}

/** Example folder names, sorted. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

const judgement = (verdict: string) => (verdict === 'correct' || verdict === 'accepted' ? 'ok' : 'error');

/** Scores one example and lists its misses. */
export async function scoreExample(name: string, scorer: Scorer): Promise<{ result: ActivityResult; expected: ExpectedActivity; misses: Miss[] }> {
  const dir = join(EXAMPLES, name);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ExpectedActivity;
  const { result } = await scorer.score({ manifest: join(dir, 'activity.json') });
  const misses: Miss[] = [];
  for (const truth of expected.phrases) {
    const phrase = result.phrases.find((p) => p.phraseIndex === truth.phraseIndex);
    truth.items.forEach((t, position) => {
      const got = phrase?.items[position];
      if (!got || got.item !== t.item) throw new Error(`${name}: phrase ${truth.phraseIndex} item ${position} is ${got?.item}, expected.json says ${t.item}`);
      if (judgement(got.verdict) !== judgement(t.verdict))
        misses.push({ example: name, phraseIndex: truth.phraseIndex, position, item: t.item, expected: t.verdict, actual: got.verdict });
    });
  }
  return { result, expected, misses };
}
