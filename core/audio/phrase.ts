/**
 * Phrase audio assembly: a phrase is the concatenation of its streaming segments in sequence order,
 * optionally padded with the neighbouring phrases' audio so a late or early answer is still heard.
 */

/** One streaming segment of a phrase, already decoded and resampled to the model rate. */
export interface PhraseSegment {
  /** Global sequence number across the activity. */
  readonly sequenceNumber: number;
  readonly samples: Float32Array;
  /** Where it came from (file name or object key), for logs. */
  readonly source: string;
}

/** A gap in the sequence numbers: packets lost in streaming. */
export interface DroppedPackets {
  /** Sequence numbers missing between two received segments. */
  readonly missing: readonly number[];
  readonly after: string;
}

/** Concatenated phrase audio and what was noticed while assembling it. */
export interface AssembledPhrase {
  readonly samples: Float32Array;
  readonly dropped: readonly DroppedPackets[];
}

/**
 * Orders segments by sequence number and concatenates them. Gaps are reported (the caller logs
 * them) and assembly goes on; duplicate sequence numbers keep the first copy.
 */
export function assembleSegments(segments: readonly PhraseSegment[]): AssembledPhrase {
  const ordered = [...segments].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  const kept: PhraseSegment[] = [];
  const dropped: DroppedPackets[] = [];
  for (const segment of ordered) {
    const previous = kept[kept.length - 1];
    if (previous && segment.sequenceNumber === previous.sequenceNumber) continue;
    if (previous && segment.sequenceNumber > previous.sequenceNumber + 1) {
      const missing: number[] = [];
      for (let n = previous.sequenceNumber + 1; n < segment.sequenceNumber; n++) missing.push(n);
      dropped.push({ missing, after: previous.source });
    }
    kept.push(segment);
  }
  return { samples: joinParts(kept.map((s) => s.samples)), dropped };
}

/**
 * Phrase audio with neighbour padding; the padding spans are remembered. `parts` are views (lead,
 * own, trail) that the model input is built from in one pass, without an intermediate copy.
 */
export interface PaddedPhrase {
  readonly parts: readonly Float32Array[];
  /** Total samples of the parts. */
  readonly length: number;
  /** Samples of the previous phrase prepended. */
  readonly leadSamples: number;
  /** Samples of the next phrase appended. */
  readonly trailSamples: number;
}

/** Concatenates the parts of a padded phrase into one array. */
export function joinParts(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Pads each phrase with up to `padSamples` of its neighbours' audio on each side. A phrase without
 * audio (undefined) stays undefined and lends nothing to its neighbours.
 */
export function padWithNeighbours(phrases: readonly (Float32Array | undefined)[], padSamples: number): (PaddedPhrase | undefined)[] {
  return phrases.map((own, i) => {
    if (!own) return undefined;
    if (padSamples <= 0) return { parts: [own], length: own.length, leadSamples: 0, trailSamples: 0 };
    const before = phrases[i - 1];
    const after = phrases[i + 1];
    const lead = before ? before.subarray(Math.max(0, before.length - padSamples)) : new Float32Array(0);
    const trail = after ? after.subarray(0, Math.min(after.length, padSamples)) : new Float32Array(0);
    return { parts: [lead, own, trail], length: lead.length + own.length + trail.length, leadSamples: lead.length, trailSamples: trail.length };
  });
}
