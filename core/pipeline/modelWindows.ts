/**
 * Each sample through the model once. A phrase is judged over its own audio plus up to `padSec` of
 * each neighbour's (an answer can spill over a phrase boundary), but the model does not need to see
 * those seconds again for every phrase: its frames depend only on the audio within its receptive
 * field (`contextSec` in the manifest). So every phrase's model input is its own audio plus
 * `contextSec` of each neighbour — enough for the frames of its own audio to come out exactly as if
 * the model had seen the whole padded phrase — and the frames of the padding are taken from the
 * neighbours' own passes, where that audio is the neighbour's own.
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
    const end = p.leadSamples + own + Math.min(p.trailSamples, context);
    return { offset, length: end - offset, padded: p };
  });
}

/** The window's samples normalised with the statistics of the whole padded phrase (a new array). */
export function windowInput(window: ModelWindow, manifest: Pick<ModelManifest, 'normalization'>): Float32Array {
  const { padded, offset, length } = window;
  const stats = normalizationOf(padded.parts, manifest);
  const out = new Float32Array(length);
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
  readonly logits: PhraseLogits;
  /** Frame of `logits` whose start is sample 0 of the region it lends. */
  readonly firstSample: number;
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
  const window = windows[i] as ModelWindow;
  const own = logits[i] as PhraseLogits;
  const { padded } = window;
  const ownSamples = padded.length - padded.leadSamples - padded.trailSamples;
  const frames = Math.ceil(padded.length / stride);
  const vocab = own.vocab;
  const ownFirst = window.offset / stride;
  const prev =
    lend && lender(i - 1, windows, logits, (w) => w.padded.leadSamples + (w.padded.length - w.padded.leadSamples - w.padded.trailSamples) - w.offset - padded.leadSamples);
  const next = lend && lender(i + 1, windows, logits, (w) => w.padded.leadSamples - w.offset - (padded.leadSamples + ownSamples));
  // Frame k of the padded phrase: a frame entirely in the lead or in the trail is the neighbour's
  // (its row is the neighbour's frame under this frame's centre); one that holds any of the
  // phrase's own audio is from the phrase's own pass.
  const ownEnd = padded.leadSamples + ownSamples;
  const rowOf = (k: number): { from: PhraseLogits; row: number } | undefined => {
    const lent = (k + 1) * stride <= padded.leadSamples ? prev : k * stride >= ownEnd ? next : undefined;
    if (lent) {
      // The lent audio lies inside the neighbour's window; only the padded phrase's last frame,
      // which can hold a few samples of it, has its centre past the window's end (clamped).
      const row = Math.min(Math.max(Math.floor((lent.firstSample + k * stride + stride / 2) / stride), 0), lent.logits.frames - 1);
      return { from: lent.logits, row };
    }
    const row = k - ownFirst;
    return row >= 0 && row < own.frames ? { from: own, row } : undefined;
  };
  let first = 0;
  while (first < frames && !rowOf(first)) first++;
  let last = frames;
  while (last > first && !rowOf(last - 1)) last--;
  const data = new Float32Array((last - first) * vocab);
  for (let k = first; k < last; k++) {
    const source = rowOf(k);
    // A gap inside the span cannot happen (own frames cover the window), but never read past one.
    if (source) data.set(source.from.data.subarray(source.row * vocab, (source.row + 1) * vocab), (k - first) * vocab);
  }
  return { logits: { data, frames: last - first, vocab }, leadSamples: padded.leadSamples - first * stride };
}

/**
 * A neighbour's pass as a frame source, positioned by `start`: the sample of the neighbour's window
 * at which the lent region of this phrase begins, computed from the neighbour's window.
 */
function lender(
  j: number,
  windows: readonly (ModelWindow | undefined)[],
  logits: readonly (PhraseLogits | undefined)[],
  start: (w: ModelWindow) => number,
): FrameSource | undefined {
  const w = windows[j];
  const l = logits[j];
  return w && l ? { logits: l, firstSample: start(w) } : undefined;
}
