/**
 * Writes the benchmark inputs under aligner/bench/data/ from a fixed seed (the files are committed;
 * rerun with `npx tsx aligner/bench/generate.ts` to regenerate them identically).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SEED = 20261127;

/** mulberry32: small, seedable, reproducible across platforms. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = rng(SEED);
const pick = (n: number): number => Math.floor(rnd() * n);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Items: 26 letter names + 26 letter sounds; elements: their 52 realisations + 8 noise tokens. */
const itemNames = [...LETTERS].flatMap((l) => [`${l}_name`]).concat([...LETTERS].map((l) => `${l}_sound`));
const elementNames = [...LETTERS]
  .map((l) => `${l}N`)
  .concat(
    [...LETTERS].map((l) => `${l}S`),
    ['uh', 'um', 'er', 'hm', 'sil', 'x1', 'x2', 'x3'],
  );
const items = itemNames.length;
const elements = elementNames.length;
const sub: number[] = new Array(items * elements).fill(1);
const kind: number[] = new Array(items * elements).fill(2);
const nearMiss: number[][] = [];
for (let i = 0; i < items; i++) {
  sub[i * elements + i] = 0;
  kind[i * elements + i] = 0;
  if (rnd() < 0.2) {
    const alt = (i + 26) % 52; // the name accepted for the sound (or vice versa)
    sub[i * elements + alt] = 0;
    kind[i * elements + alt] = 1;
  }
  const near: number[] = [];
  for (let k = 0; k < 3; k++) {
    const e = pick(52);
    if (kind[i * elements + e] !== 2) continue;
    sub[i * elements + e] = Math.round((0.25 + rnd() * 0.5) * 1000) / 1000;
    near.push(e);
  }
  nearMiss.push(near);
}
const table = { itemNames, elementNames, items, elements, sub, kind, insert: 1, delete: 1 };

/**
 * Heard elements for ref with about `rate` edits per item: a third substitutions, the rest split
 * between omissions and insertions by `insertShare` (0.5: length kept on average).
 */
function hear(ref: number[], rate: number, insertShare = 0.5): number[] {
  const omitEnd = rate / 3 + ((2 * rate) / 3) * (1 - insertShare);
  const out: number[] = [];
  for (const item of ref) {
    const r = rnd();
    if (r >= rate) {
      out.push(item);
      continue;
    }
    const near = nearMiss[item] as number[];
    if (r < rate / 3) out.push(near.length > 0 && rnd() < 0.5 ? (near[pick(near.length)] as number) : pick(elements));
    else if (r < omitEnd) continue;
    else out.push(item, pick(elements));
  }
  return out;
}

const phraseRef = (len: number): number[] => Array.from({ length: len }, () => pick(items));

interface Case {
  ref: number[];
  hyp: number[];
  freeLead?: number;
  freeTrail?: number;
}

function phrases(count: number, len: number, padded: boolean, insertShare = 0.5): Case[] {
  return Array.from({ length: count }, () => {
    const ref = phraseRef(len);
    const heard = hear(ref, 0.1, insertShare);
    if (!padded) return { ref, hyp: heard };
    const lead = Array.from({ length: pick(3) }, () => pick(elements));
    const trail = Array.from({ length: pick(3) }, () => pick(elements));
    return { ref, hyp: [...lead, ...heard, ...trail], freeLead: lead.length, freeTrail: trail.length };
  });
}

const outDir = join(__dirname, 'data');
mkdirSync(outDir, { recursive: true });
const write = (name: string, body: unknown): void => writeFileSync(join(outDir, name), `${JSON.stringify(body)}\n`);
write('table.json', table);
write('phrase.json', { description: 'typical phrase: 8 items, 10% edits', cases: phrases(2000, 8, false) });
write('activity.json', { description: 'typical activity: 52 items vs ~55 elements, 10% edits', cases: phrases(200, 52, false, 0.85) });
write('long.json', { description: 'long: 5,000 items vs ~5,000 elements, 10% edits', cases: phrases(3, 5000, false) });
write('identical.json', {
  description: 'identical: 52 items heard exactly',
  cases: Array.from({ length: 200 }, () => {
    const ref = phraseRef(52);
    return { ref, hyp: [...ref] };
  }),
});
write('batch.json', { description: 'batch: 10,000 phrases of 8 items, 0-2 padding elements each side', cases: phrases(10000, 8, true) });
console.log(`wrote ${outDir}`);
