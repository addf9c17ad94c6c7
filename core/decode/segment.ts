/**
 * Parses one word's tokens into catalog elements by an optimal segmentation: cover the most tokens,
 * then use the fewest elements (the old system took the greedy longest match and lost tokens).
 */

/** The part of a catalog the segmentation needs. */
export interface ElementInventory {
  elementId(element: string): number | undefined;
  readonly maxElementLength: number;
}

/** One piece of the parse: an element over tokens [start, end), or one unparsed token. */
export interface WordPiece {
  readonly start: number;
  readonly end: number;
  /** The element, or undefined for a token that fits no element. */
  readonly element: string | undefined;
}

/**
 * Dynamic programming over suffixes. Ties (same coverage, same element count) go to the longer
 * element at the earlier position, so the result is deterministic.
 */
export function segmentWord(tokens: readonly string[], inventory: ElementInventory): WordPiece[] {
  const n = tokens.length;
  const covered = new Int32Array(n + 1);
  const count = new Int32Array(n + 1);
  const choice = new Int32Array(n + 1); // length of the element starting at i, 0 = unparsed token
  for (let i = n - 1; i >= 0; i--) {
    // Default: token i is unparsed.
    let bestCovered = covered[i + 1] as number;
    let bestCount = count[i + 1] as number;
    let bestLength = 0;
    let text = '';
    const longest = Math.min(inventory.maxElementLength, n - i);
    const candidates: string[] = [];
    for (let l = 1; l <= longest; l++) {
      text += tokens[i + l - 1];
      candidates.push(text);
    }
    for (let l = longest; l >= 1; l--) {
      if (inventory.elementId(candidates[l - 1] as string) === undefined) continue;
      const c = l + (covered[i + l] as number);
      const k = 1 + (count[i + l] as number);
      // Strictly better only: an equal later (shorter) candidate keeps the longer one.
      if (c > bestCovered || (c === bestCovered && (k < bestCount || bestLength === 0))) {
        bestCovered = c;
        bestCount = k;
        bestLength = l;
      }
    }
    covered[i] = bestCovered;
    count[i] = bestCount;
    choice[i] = bestLength;
  }
  const pieces: WordPiece[] = [];
  for (let i = 0; i < n; ) {
    const l = choice[i] as number;
    if (l === 0) {
      pieces.push({ start: i, end: i + 1, element: undefined });
      i += 1;
    } else {
      pieces.push({ start: i, end: i + l, element: tokens.slice(i, i + l).join('') });
      i += l;
    }
  }
  return pieces;
}
