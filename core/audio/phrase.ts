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

/** A gap in the sequence numbers: packets lost in streaming, as a range (never enumerated). */
export interface DroppedPackets {
  /** First missing sequence number. */
  readonly first: number;
  /** Last missing sequence number (equal to `first` for one lost packet). */
  readonly last: number;
  /** The segment received just before the gap. */
  readonly after: string;
}

/** Two or more segments of a phrase that carry the same sequence number. */
export interface DuplicateSegment {
  readonly sequenceNumber: number;
  /** Every source with that number, in manifest order. */
  readonly sources: readonly string[];
}

/** What a phrase's sequence numbers say, before any audio is read. */
export interface SegmentOrder<S> {
  /** The segments in sequence order. */
  readonly ordered: readonly S[];
  readonly dropped: readonly DroppedPackets[];
  readonly duplicates: readonly DuplicateSegment[];
}

/**
 * Orders segments by sequence number and finds the gaps (as ranges: numbers 0 and 1e9 make one
 * gap, not a billion entries) and the duplicated numbers. Work is O(n log n) in the segments.
 */
export function orderSegments<S extends { readonly sequenceNumber: number; readonly source: string }>(segments: readonly S[]): SegmentOrder<S> {
  const ordered = [...segments].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  const dropped: DroppedPackets[] = [];
  const duplicates: DuplicateSegment[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1] as S;
    const segment = ordered[i] as S;
    if (segment.sequenceNumber === previous.sequenceNumber) {
      const last = duplicates[duplicates.length - 1];
      if (last?.sequenceNumber === segment.sequenceNumber) (last.sources as string[]).push(segment.source);
      else duplicates.push({ sequenceNumber: segment.sequenceNumber, sources: [previous.source, segment.source] });
    } else if (segment.sequenceNumber > previous.sequenceNumber + 1) {
      dropped.push({ first: previous.sequenceNumber + 1, last: segment.sequenceNumber - 1, after: previous.source });
    }
  }
  return { ordered, dropped, duplicates };
}

/** Concatenated phrase audio and what was noticed while assembling it. */
export interface AssembledPhrase {
  readonly samples: Float32Array;
  readonly dropped: readonly DroppedPackets[];
  readonly duplicates: readonly DuplicateSegment[];
}

/**
 * Orders segments by sequence number and concatenates them. Gaps are reported (the caller logs
 * them) and assembly goes on. Duplicates are reported too and nothing is joined for them: which copy
 * is the real one cannot be known, so the caller leaves the phrase unscored. One segment is
 * returned as is, without a copy.
 */
export function assembleSegments(segments: readonly PhraseSegment[]): AssembledPhrase {
  const { ordered, dropped, duplicates } = orderSegments(segments);
  if (duplicates.length) return { samples: new Float32Array(0), dropped, duplicates };
  const samples = ordered.length === 1 ? (ordered[0] as PhraseSegment).samples : joinParts(ordered.map((s) => s.samples));
  return { samples, dropped, duplicates };
}

/** One line per gap, for warnings: `sequence number(s) 2 missing`, `sequence numbers 5–9 (5) missing`. */
export function describeGap(gap: DroppedPackets): string {
  const numbers = gap.first === gap.last ? `sequence number(s) ${gap.first}` : `sequence numbers ${gap.first}–${gap.last} (${gap.last - gap.first + 1})`;
  return `dropped packets: ${numbers} missing after ${gap.after}`;
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
