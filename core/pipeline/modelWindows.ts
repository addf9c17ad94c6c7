/**
 * Each sample through the model once. A phrase is judged over its own audio plus up to `padSec` of
 * each neighbour's (an answer can spill over a phrase boundary), but the model does not need to see
 * those seconds again for every phrase: its frames depend only on the audio within its receptive
 * field (`contextSec` in the manifest). So every phrase's model input is its own audio plus
 * `contextSec` of each neighbour — enough for the frames of its own audio to come out exactly as if
 * the model had seen the whole padded phrase — and the frames of the padding are taken from the
 * neighbours' own passes, where that audio is the neighbour's own.
 *
 * A window whose phrase has less than `contextSec` of audio after it (the activity's last phrase,
 * or one whose next neighbour is short) ends in zeros up to that much: the frames of its own audio
 * then never depend on how far an engine pads the batch (to its longest window, or not at all), so
 * a phrase's verdicts do not depend on the lengths of the other phrases of its activity, nor on the
 * engine's batching. Before, the last phrase's final frames saw the batch's padding: zeros when
 * another window was longer, none when it was the longest.
 *
 * What stays as before: the normalisation (mean and scale of the whole padded phrase, applied to
 * the window), the frame grid of the phrase's own audio, and one batched engine call per activity.
 * What can differ: the padding frames are the neighbour's, normalised with the neighbour's
 * statistics and on its frame grid (up to half a frame, 10 ms, away), and a neighbour whose
 * inference failed lends only the context frames of the phrase's own pass.
 *
 * A manifest without `contextSec` (an unbounded receptive field: a transformer) gets the padded
 * phrase whole, as before.
 */
import type { PaddedPhrase } from '../audio/phrase';
import type { PhraseLogits } from '../decode';
import type { ModelManifest } from '../model';
import { normalizationOf, normalizeWith } from '../model/preprocess';

/** What the model runs for one phrase, and where its frames sit in the padded phrase. */
export interface ModelWindow {
  /** Samples of the padded phrase before the window (a whole number of frames). */
  readonly offset: number;
  /** Samples of the window: the end of the lead, the phrase's own audio, the start of the trail. */
  readonly length: number;
  /** Zeros after the window's audio: the context the trail lacks (0 when it has it all). */
  readonly tailZeros: number;
  readonly padded: PaddedPhrase;
}

/**
 * The window of each padded phrase: its own audio plus `context` samples each side (at least, on
 * the left: the window starts a whole number of frames into the padded phrase so its frames are the
 * padded phrase's frames). Undefined where the phrase has no audio.
 */
export function modelWindows(
  padded: readonly (PaddedPhrase | undefined)[],
  manifest: Pick<ModelManifest, 'frameStride' | 'sampleRate' | 'contextSec'>,
): (ModelWindow | undefined)[] {
  const stride = manifest.frameStride;
  const context = manifest.contextSec === undefined ? Number.POSITIVE_INFINITY : Math.ceil(manifest.contextSec * manifest.sampleRate);
  return padded.map((p) => {
    if (!p) return undefined;
    const own = p.length - p.leadSamples - p.trailSamples;
    const offset = p.leadSamples > context ? Math.floor((p.leadSamples - context) / stride) * stride : 0;
    const trail = Math.min(p.trailSamples, context);
    const end = p.leadSamples + own + trail;
    return { offset, length: end - offset, tailZeros: Number.isFinite(context) ? context - trail : 0, padded: p };
  });
}

/**
 * The window's samples normalised with the statistics of the whole padded phrase, then its
 * `tailZeros` zeros (a new array).
 */
export function windowInput(window: ModelWindow, manifest: Pick<ModelManifest, 'normalization'>): Float32Array {
  const { padded, offset, length } = window;
  const stats = normalizationOf(padded.parts, manifest);
  const out = new Float32Array(length + window.tailZeros);
  let at = 0; // position in the padded phrase
  let written = 0;
  for (const part of padded.parts) {
    const from = Math.max(offset - at, 0);
    const to = Math.min(offset + length - at, part.length);
    if (to > from) {
      normalizeWith(part.subarray(from, to), stats, out, written);
      written += to - from;
    }
    at += part.length;
  }
  return out;
}

/** Where a phrase's padding frames come from. */
interface FrameSource {
  /** Index of the pass (the phrase whose window it ran). */
  readonly pass: number;
  /** Frames of that pass. */
  readonly frames: number;
  /** Frame of the pass whose start is sample 0 of the region it lends. */
  readonly firstSample: number;
}

/**
 * Which pass and frame each frame of padded phrase `i` comes from: `pass[k]` and `row[k]` for frame
 * `first + k` of the padded phrase's own grid, `frames` frames in all. The same plan serves the raw
 * logits ({@link assembleLogits}) and anything computed row by row from them ({@link assembleRows}).
 */
export interface FramePlan {
  /** First frame of the padded phrase that any pass covers. */
  readonly first: number;
  readonly frames: number;
  readonly pass: Int32Array;
  readonly row: Int32Array;
  /** Samples of the lead that the frames cover (see {@link assembleLogits}). */
  readonly leadSamples: number;
}

/**
 * The frame plan of padded phrase `i` (see {@link assembleLogits}); `passFrames[j]` is the frame
 * count of pass `j`, undefined where it failed or did not run. `lend` false: only the own pass.
 */
export function framePlan(i: number, windows: readonly (ModelWindow | undefined)[], passFrames: readonly (number | undefined)[], stride: number, lend: boolean): FramePlan {
  const window = windows[i] as ModelWindow;
  const ownFrames = passFrames[i] as number;
  const { padded } = window;
  const ownSamples = padded.length - padded.leadSamples - padded.trailSamples;
  const frames = Math.ceil(padded.length / stride);
  const ownFirst = window.offset / stride;
  const prev =
    lend &&
    lender(i - 1, windows, passFrames, stride, (w) => w.padded.leadSamples + (w.padded.length - w.padded.leadSamples - w.padded.trailSamples) - w.offset - padded.leadSamples);
  const next = lend && lender(i + 1, windows, passFrames, stride, (w) => w.padded.leadSamples - w.offset - (padded.leadSamples + ownSamples));
  // Frame k of the padded phrase: a frame entirely in the lead or in the trail is the neighbour's
  // (its row is the neighbour's frame under this frame's centre); one that holds any of the
  // phrase's own audio is from the phrase's own pass. -1: no pass covers it.
  const ownEnd = padded.leadSamples + ownSamples;
  let source = i;
  const rowOf = (k: number): number => {
    const lent = (k + 1) * stride <= padded.leadSamples ? prev : k * stride >= ownEnd ? next : undefined;
    if (lent) {
      // The lent audio lies inside the neighbour's window; only the padded phrase's last frame,
      // which can hold a few samples of it, has its centre past the window's end (clamped).
      source = lent.pass;
      return Math.min(Math.max(Math.floor((lent.firstSample + k * stride + stride / 2) / stride), 0), lent.frames - 1);
    }
    source = i;
    const row = k - ownFirst;
    return row >= 0 && row < ownFrames ? row : -1;
  };
  let first = 0;
  while (first < frames && rowOf(first) < 0) first++;
  let last = frames;
  while (last > first && rowOf(last - 1) < 0) last--;
  const pass = new Int32Array(last - first);
  const row = new Int32Array(last - first);
  for (let k = first; k < last; k++) {
    // A gap inside the span cannot happen (own frames cover the window); -1 keeps it visible.
    row[k - first] = rowOf(k);
    pass[k - first] = source;
  }
  return { first, frames: last - first, pass, row, leadSamples: padded.leadSamples - first * stride };
}

/**
 * Gathers `width` values per frame from per-pass row-major arrays along a {@link FramePlan}: a
 * frame that no pass covers (cannot happen inside the span) keeps `out`'s zeros.
 */
export function assembleRows<T extends Float32Array | Int32Array>(plan: FramePlan, sources: readonly (T | undefined)[], width: number, out: T): T {
  // One copy per run of frames that come from one pass's consecutive rows (a lead, the phrase's
  // own frames, a trail: about three per phrase), not one per frame.
  for (let k = 0; k < plan.frames; ) {
    const r = plan.row[k] as number;
    const pass = plan.pass[k] as number;
    let end = k + 1;
    while (r >= 0 && end < plan.frames && plan.pass[end] === pass && plan.row[end] === r + (end - k)) end++;
    const from = sources[pass];
    if (r >= 0 && from) out.set(from.subarray(r * width, (r + end - k) * width), k * width);
    k = end;
  }
  return out;
}

/**
 * The logits of padded phrase `i` on its own frame grid: the frames of the phrase's own audio (and
 * of any padding no neighbour can lend) from its own pass, the frames of the lead from the previous
 * phrase's pass and those of the trail from the next one's. `leadSamples` is how much of the lead
 * the frames cover (less than the padding when a neighbour's pass failed and the phrase's own
 * window started later).
 */
export function assembleLogits(
  i: number,
  windows: readonly (ModelWindow | undefined)[],
  logits: readonly (PhraseLogits | undefined)[],
  stride: number,
  lend: boolean,
): { logits: PhraseLogits; leadSamples: number } {
  const plan = framePlan(
    i,
    windows,
    logits.map((l) => l?.frames),
    stride,
    lend,
  );
  const vocab = (logits[i] as PhraseLogits).vocab;
  const data = assembleRows(
    plan,
    logits.map((l) => l?.data),
    vocab,
    new Float32Array(plan.frames * vocab),
  );
  return { logits: { data, frames: plan.frames, vocab }, leadSamples: plan.leadSamples };
}

/**
 * A neighbour's pass as a frame source, positioned by `start`: the sample of the neighbour's window
 * at which the lent region of this phrase begins, computed from the neighbour's window. Only the
 * frames of the window's audio are lent, not those of its tail zeros.
 */
function lender(
  j: number,
  windows: readonly (ModelWindow | undefined)[],
  passFrames: readonly (number | undefined)[],
  stride: number,
  start: (w: ModelWindow) => number,
): FrameSource | undefined {
  const w = windows[j];
  const frames = passFrames[j];
  return w && frames !== undefined ? { pass: j, frames: Math.min(frames, Math.ceil(w.length / stride)), firstSample: start(w) } : undefined;
}
