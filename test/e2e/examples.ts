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

/**
 * Which integer arithmetic onnxruntime's int8 kernels use on this CPU: `vnni` (AVX-512 VNNI or
 * AVX-VNNI: exact u8×s8 dot products) or `avx2` (AVX2 without AVX-512 or VNNI: `vpmaddubsw`, whose
 * pairwise sums saturate at 16 bits). The two can judge an example item differently (docs/models.md,
 * "Quantised (int8) models"), so the known misses are listed per family. Undefined elsewhere (another
 * architecture, or AVX-512 without VNNI): no list has been measured there.
 */
export function int8Kernels(cpuinfo = readCpuinfo()): 'vnni' | 'avx2' | undefined {
  if (process.arch !== 'x64' || cpuinfo === undefined) return undefined;
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  if (flags.has('avx512_vnni') || flags.has('avx_vnni')) return 'vnni';
  if (flags.has('avx2') && !flags.has('avx512bw')) return 'avx2';
  return undefined;
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * known-misses.json: the bundled model's misjudged example items, per int8 kernel family — or, for
 * a model whose arithmetic is the same on every CPU (float, int8 with uint8 weights: quantize.py, or pair-capped int8: pair_safe.py),
 * one list under `all`.
 */
export interface KnownMisses {
  model: string;
  sha256: string;
  items: number;
  misses: Partial<Record<'vnni' | 'avx2' | 'all', Miss[]>>;
}

/**
 * The known misses for int8 kernel family `family` (`int8Kernels()` for this CPU), or the `all` list;
 * throws, naming the family and the fix, where neither was recorded.
 */
export function knownMissesHere(known: KnownMisses, family: 'vnni' | 'avx2' | undefined): Miss[] {
  const list = known.misses.all ?? (family && known.misses[family]);
  if (!list) {
    throw new Error(
      `no known misses recorded for int8 kernels "${family ?? 'unknown'}" (${process.arch}); the bundled int8 model's verdicts depend on them: run \`npx tsx tools/examples/misses.ts\` on this machine and check the list it adds`,
    );
  }
  return list;
}
