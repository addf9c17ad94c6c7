/**
 * Scores one activity: check its size against the activity limits, read and resample every
 * phrase's audio, pad with neighbours, normalise per the model manifest, run batched engine calls,
 * check what the engine returned and map it onto the decoder's vocabulary (the manifest's token
 * map), decode, align and judge each phrase.
 */
import { performance } from 'node:perf_hooks';
import { createAligner, type PhraseAligner } from '../../aligner';
import { logitsProblem } from '../../engines/logits';
import { DEFAULT_MAX_AUDIO_SEC, decodeWavAt, describeGap, joinParts, orderSegments, padWithNeighbours, readWavHeader, type WavHeader } from '../audio';
import { type ActivityLimits, DEFAULT_ACTIVITY_LIMITS, DEFAULT_PAD_SEC, setting } from '../config/settings';
import { decodeFrames, type FrameScores, frameArgmax, type PhraseLogits } from '../decode';
import { ActivityInputError, AudioErrorCode, LimitErrorCode, PhraseReasonCode, ReadScoreInputError } from '../errors';
import { type ItemCatalog, loadDefaultCatalog } from '../items';
import { mapLogits, mapVocabulary } from '../model/tokenMap';
import { buildCostTable, type JudgeClock, judgePhrases, type PhraseToJudge, type SecondLookOptions, secondLookConfig, totalsOf } from '../scoring';
import type { ActivityResult, PhraseResult, StageTimings, Totals, UnscoredReason } from '../scoring/types';
import { Verdict } from '../scoring/types';
import type { Activity, Phrase } from './activity';
import type { AudioSource } from './audioSource';
import { type Engine, EngineError } from './engine';
import { assembleRows, framePlan, type ModelWindow, modelWindows, windowInput } from './modelWindows';

/** Receives warnings worth a log line (dropped packets). */
export interface ScoreLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link scoreActivity}. */
export interface ScoreOptions {
  /** Seconds of neighbour audio added on each side of a phrase (default 3; 0 disables). */
  padSec?: number;
  /** Longest accepted audio file, seconds (default 600). */
  maxAudioSec?: number;
  /** Activity-level limits; each one not given takes its default ({@link DEFAULT_ACTIVITY_LIMITS}). */
  limits?: Partial<ActivityLimits>;
  /** Names the activity in limit errors (its manifest path or key); default `activity <activityId>`. */
  source?: string;
  catalog?: ItemCatalog;
  /** Defaults to a new aligner (best available backend) for the catalog's cost table; pass one to reuse it. */
  aligner?: PhraseAligner;
  logger?: ScoreLogger;
  /** Second look at substituted/omitted items (see core/scoring/secondLook.ts); `false` turns it off. */
  secondLook?: SecondLookOptions | false;
}

export { DEFAULT_PAD_SEC } from '../config/settings';

/**
 * Padded seconds of audio per engine call: the model's working memory grows with batch × longest
 * waveform, so a long activity is scored in several calls (a phrase longer than this goes alone).
 */
const MAX_BATCH_SEC = 240;
/** Files read ahead of the one being decoded (S3 latency), fewer when the files are large. */
const READ_AHEAD = 8;
/** Bytes of audio files read ahead at most (estimated from the largest file so far). */
const READ_AHEAD_BYTES = 64 * 1024 * 1024;
/** Dropped-packet warnings kept per phrase; the rest are summed up in one line. */
const MAX_GAP_WARNINGS = 10;

/** One phrase on its way through the pipeline. */
interface LoadedPhrase {
  readonly phrase: Phrase;
  readonly warnings: string[];
  samples?: Float32Array;
  reason?: UnscoredReason;
}

const silentLogger: ScoreLogger = { warn: () => {} };

/**
 * Scores an activity with an engine, reading audio from `audio`. An activity over a limit is an
 * ActivityInputError before any audio is decoded (the audio limit: as soon as the WAV headers read
 * so far exceed it). A phrase whose audio or engine output is unusable is unscored with a reason.
 *
 * @example
 * const result = await scoreActivity(activity, engine, localAudioSource('examples/01'), { source: 'examples/01/activity.json' });
 */
export async function scoreActivity(activity: Activity, engine: Engine, audio: AudioSource, options: ScoreOptions = {}): Promise<ActivityResult> {
  const started = performance.now();
  const limits: ActivityLimits = { ...DEFAULT_ACTIVITY_LIMITS, ...options.limits };
  const source = options.source ?? `activity ${activity.activityId}`;
  checkCounts(activity, limits, source);
  const catalog = options.catalog ?? loadDefaultCatalog();
  const aligner = options.aligner ?? createAligner(buildCostTable(catalog));
  const logger = options.logger ?? silentLogger;
  const manifest = engine.manifest;
  const rate = manifest.sampleRate;
  const timings: StageTimings = { read: 0, resample: 0, preprocess: 0, inference: 0, model: 0, decode: 0, align: 0, secondLook: 0, total: 0 };
  // Every engine's logits go onto the decoder's vocabulary here, right after they are checked.
  const mapped = mapVocabulary(manifest);
  const secondLook = options.secondLook === false ? undefined : secondLookConfig(catalog, mapped.tokens, options.secondLook);

  const loaded = activity.phrases.map((phrase) => orderPhrase(phrase, audio, logger, activity.activityId));
  await readPhraseAudio(loaded, audio, { rate, maxAudioSec: options.maxAudioSec ?? DEFAULT_MAX_AUDIO_SEC, limits, source, timings });

  const padded = padWithNeighbours(
    loaded.map((p) => p.samples),
    Math.round((options.padSec ?? DEFAULT_PAD_SEC) * rate),
  );
  // Each phrase's own audio plus its model context (see modelWindows.ts), one batched call.
  const windows = modelWindows(padded, manifest);
  const passes: (PhraseLogits | undefined)[] = [];
  const servedBy = new Set<string>();
  const inputLengths = windows.map((w) => w && { length: w.length + w.tailZeros });
  for (const chunk of batches(inputLengths, MAX_BATCH_SEC * rate)) {
    let t = performance.now();
    const batch = chunk.map((i) => windowInput(windows[i] as ModelWindow, manifest));
    timings.preprocess += performance.now() - t;
    t = performance.now();
    const inference = await engine.infer(batch);
    const elapsed = performance.now() - t;
    timings.inference += elapsed;
    timings.model += inference.modelMs ?? elapsed;
    servedBy.add(inference.servedBy);
    if (inference.logits.length !== batch.length) throw new EngineError('bad-output', `engine returned ${inference.logits.length} results for a batch of ${batch.length}`);
    chunk.forEach((i, k) => {
      const own = inference.logits[k] as PhraseLogits;
      const problem = logitsProblem(own, (batch[k] as Float32Array).length, manifest);
      const p = loaded[i] as LoadedPhrase;
      if (problem) p.reason = { code: PhraseReasonCode.EngineOutputInvalid, message: `phrase ${p.phrase.phraseIndex}: ${inference.servedBy} returned ${problem}` };
      else passes[i] = mapLogits(own, mapped);
    });
  }

  let t = performance.now();
  const vocabulary = { tokens: mapped.tokens, blank: manifest.blank, separator: manifest.separator, frameMs: (manifest.frameStride / rate) * 1000 };
  // Softmax and argmax once per frame of each pass: a neighbour's frames lent as padding are not
  // scored again for every phrase that borrows them (same values: each frame is scored alone).
  // Only the rows some phrase reads (a pass's context frames usually lie under its neighbours'
  // own frames and are never read).
  const passFrames = passes.map((l) => l?.frames);
  const plans = loaded.map((p, i) =>
    windows[i] && p.samples && passes[i] ? framePlan(i, windows, passFrames, manifest.frameStride, manifest.contextSec !== undefined) : undefined,
  );
  const used = passes.map(() => ({ from: Number.POSITIVE_INFINITY, to: 0 }));
  for (const plan of plans) {
    if (!plan) continue;
    for (let k = 0; k < plan.frames; k++) {
      const r = plan.row[k] as number;
      const u = used[plan.pass[k] as number];
      if (r < 0 || !u) continue;
      u.from = Math.min(u.from, r);
      u.to = Math.max(u.to, r + 1);
    }
  }
  const scored = passes.map((l, j) => l && frameArgmax(l, used[j]));
  const toJudge: PhraseToJudge[] = [];
  loaded.forEach((p, i) => {
    const plan = plans[i];
    if (!plan || !p.samples) return;
    const vocab = (scored[i] as FrameScores).vocab;
    const frames: FrameScores = {
      best: assembleRows(
        plan,
        scored.map((s) => s?.best),
        1,
        new Int32Array(plan.frames),
      ),
      posterior: assembleRows(
        plan,
        scored.map((s) => s?.posterior),
        1,
        new Float32Array(plan.frames),
      ),
      logProbs: assembleRows(
        plan,
        scored.map((s) => s?.logProbs),
        vocab,
        new Float32Array(plan.frames * vocab),
      ),
      frames: plan.frames,
      vocab,
    };
    const leadSamples = plan.leadSamples;
    toJudge.push({
      phraseIndex: p.phrase.phraseIndex,
      items: p.phrase.items,
      hypothesis: decodeFrames(frames, vocabulary, catalog),
      leadMs: (leadSamples / rate) * 1000,
      ownMs: (p.samples.length / rate) * 1000,
      // Whose audio the padding is (padWithNeighbours: the adjacent phrases with audio).
      ...((padded[i]?.leadSamples ?? 0) > 0 ? { leadFrom: (loaded[i - 1] as LoadedPhrase).phrase.phraseIndex } : {}),
      ...((padded[i]?.trailSamples ?? 0) > 0 ? { trailFrom: (loaded[i + 1] as LoadedPhrase).phrase.phraseIndex } : {}),
      warnings: p.warnings,
    });
  });
  timings.decode = performance.now() - t;

  t = performance.now();
  const clock: JudgeClock = { alignMs: 0, secondLookMs: 0 };
  const judged = judgePhrases(toJudge, aligner, catalog.elements.length, secondLook, clock);
  // The alignment plus mapping each item to a verdict; the second looks have their own stage.
  timings.secondLook = clock.secondLookMs;
  timings.align = performance.now() - t - clock.secondLookMs;

  const byIndex = new Map(judged.map((r) => [r.phraseIndex, r]));
  const phrases: PhraseResult[] = loaded.map((p) => byIndex.get(p.phrase.phraseIndex) ?? unscoredPhrase(p));
  timings.total = performance.now() - started;
  return {
    schemaVersion: 1,
    activityId: activity.activityId,
    ...(activity.storyId ? { storyId: activity.storyId } : {}),
    status: judged.length === phrases.length ? 'scored' : judged.length === 0 ? 'unscored' : 'partial',
    phrases,
    totals: activityTotals(phrases),
    engine: servedBy.size ? [...servedBy].join(', ') : engine.describe().kind,
    model: `${manifest.name}@${manifest.version}`,
    modelSha256: manifest.sha256,
    catalog: `${catalog.name}@${catalog.version}`,
    scoringPolicy: catalog.policy,
    aligner: aligner.backend,
    timings,
  };
}

/** How a limit is set, for error messages: `READSCORE_MAX_PHRASES / --max-phrases`. */
function limitSetting(key: keyof ActivityLimits): string {
  const s = setting(`scoring.limits.${key}`);
  return [s.env, s.flag ? `--${s.flag}` : undefined].filter(Boolean).join(' / ');
}

/** The limits that the manifest alone decides: phrases, items per phrase, segments. */
function checkCounts(activity: Activity, limits: ActivityLimits, source: string): void {
  const over = (code: LimitErrorCode, key: keyof ActivityLimits, what: string): never => {
    throw new ActivityInputError(code, source, `${what}; the limit is ${limits[key]} (${limitSetting(key)})`);
  };
  const phrases = activity.phrases;
  if (phrases.length > limits.maxPhrases) over(LimitErrorCode.TooManyPhrases, 'maxPhrases', `the activity has ${phrases.length} phrases`);
  let segments = 0;
  for (const phrase of phrases) {
    if (phrase.items.length > limits.maxItemsPerPhrase) over(LimitErrorCode.TooManyItems, 'maxItemsPerPhrase', `phrase ${phrase.phraseIndex} has ${phrase.items.length} items`);
    segments += phrase.segments.length;
  }
  if (segments > limits.maxSegments) over(LimitErrorCode.TooManySegments, 'maxSegments', `the activity has ${segments} audio segments`);
}

/** A phrase's segments in sequence order, with its gaps as warnings and duplicates as its reason. */
interface OrderedPhrase extends LoadedPhrase {
  readonly segments: readonly { readonly ref: string; readonly source: string }[];
}

function orderPhrase(phrase: Phrase, audio: AudioSource, logger: ScoreLogger, activityId: string): OrderedPhrase {
  const warnings: string[] = [];
  if (phrase.segments.length === 0) return { phrase, warnings, segments: [], reason: { code: 'no-audio', message: `phrase ${phrase.phraseIndex} has no audio` } };
  const { ordered, dropped, duplicates } = orderSegments(phrase.segments.map((s) => ({ ref: s.audio, sequenceNumber: s.sequenceNumber, source: audio.describe(s.audio) })));
  const lines = dropped.slice(0, MAX_GAP_WARNINGS).map(describeGap);
  if (dropped.length > MAX_GAP_WARNINGS) {
    const rest = dropped.slice(MAX_GAP_WARNINGS);
    lines.push(`dropped packets: ${rest.length} more gaps (${rest.reduce((n, g) => n + g.last - g.first + 1, 0)} sequence numbers) not listed`);
  }
  for (const line of lines) {
    warnings.push(line);
    logger.warn(line, { activityId, phraseIndex: phrase.phraseIndex });
  }
  const duplicate = duplicates[0];
  if (duplicate) {
    const more = duplicates.length > 1 ? ` (and ${duplicates.length - 1} more duplicated numbers)` : '';
    const message = `phrase ${phrase.phraseIndex}: sequence number ${duplicate.sequenceNumber} is given to ${duplicate.sources.join(' and ')}${more}; which one is the real segment is unknown`;
    return { phrase, warnings, segments: [], reason: { code: PhraseReasonCode.DuplicateSegment, message } };
  }
  return { phrase, warnings, segments: ordered };
}

/** A fetched file; an input error (missing file) or any other failure, kept to be raised in order. */
type Fetched = { ok: true; bytes: Uint8Array } | { ok: false; error: ReadScoreInputError } | { ok: false; fault: unknown };

/** Never rejects: a read-ahead abandoned by a limit error must not become an unhandled rejection. */
async function fetchAudio(audio: AudioSource, ref: string): Promise<Fetched> {
  try {
    return { ok: true, bytes: await audio.read(ref) };
  } catch (error) {
    return error instanceof ReadScoreInputError ? { ok: false, error } : { ok: false, fault: error };
  }
}

interface ReadContext {
  readonly rate: number;
  readonly maxAudioSec: number;
  readonly limits: ActivityLimits;
  readonly source: string;
  readonly timings: StageTimings;
}

/**
 * Reads, decodes and resamples every segment in sequence order, a few files ahead, keeping only the
 * resampled samples: memory follows the audio scored, not the references made. Each header is
 * checked (and its duration added to the activity total) before its samples are decoded.
 */
async function readPhraseAudio(phrases: readonly OrderedPhrase[], audio: AudioSource, context: ReadContext): Promise<void> {
  const { rate, maxAudioSec, limits, source, timings } = context;
  const jobs = phrases.flatMap((p, phraseAt) => p.segments.map((segment) => ({ phraseAt, ...segment })));
  const parts: Float32Array[][] = phrases.map(() => []);
  const resampled = phrases.map(() => new Map<number, string[]>());
  const fetches: (Promise<Fetched> | undefined)[] = [];
  let largest = 0;
  let totalSec = 0;
  let next = 0;
  for (let i = 0; i < jobs.length; i++) {
    // One file ahead until sizes are known; then as many as fit READ_AHEAD_BYTES (at most READ_AHEAD).
    const ahead = largest === 0 ? 1 : Math.max(1, Math.min(READ_AHEAD, Math.floor(READ_AHEAD_BYTES / largest)));
    for (; next < jobs.length && next <= i + ahead; next++) fetches[next] = fetchAudio(audio, (jobs[next] as (typeof jobs)[number]).ref);
    const job = jobs[i] as (typeof jobs)[number];
    const phrase = phrases[job.phraseAt] as OrderedPhrase;
    let t = performance.now();
    const file = (await fetches[i]) as Fetched;
    fetches[i] = undefined;
    if (phrase.reason) continue; // an earlier segment of the phrase already failed
    if (!file.ok) {
      if ('fault' in file) throw file.fault;
      phrase.reason = { code: file.error.code, message: file.error.message };
      continue;
    }
    largest = Math.max(largest, file.bytes.length);
    let samples: Float32Array;
    let header: WavHeader;
    try {
      header = readWavHeader(file.bytes, job.source, { maxDurationSec: maxAudioSec });
      totalSec += header.seconds;
      if (totalSec > limits.maxActivityAudioSec) {
        throw new ActivityInputError(
          LimitErrorCode.TooMuchAudio,
          source,
          `the activity's audio files add up to more than the limit: ${job.source} brings them to ${totalSec.toFixed(1)} s; the limit is ${limits.maxActivityAudioSec} s (${limitSetting('maxActivityAudioSec')})`,
        );
      }
      timings.read += performance.now() - t;
      // Decoding counts as resampling: PCM16 is converted inside the resampler's kernel.
      t = performance.now();
      samples = decodeWavAt(file.bytes, header, job.source, rate);
      timings.resample += performance.now() - t;
    } catch (error) {
      timings.read += performance.now() - t;
      if (error instanceof ReadScoreInputError && !(error instanceof ActivityInputError)) {
        phrase.reason = { code: error.code, message: error.message };
        continue;
      }
      throw error;
    }
    // Integer PCM resamples to finite samples by construction; float input is checked on decoding
    // (finite, within ±MAX_FLOAT_SAMPLE) and once more here, after the filter.
    const bad = header.isFloat ? firstNonFinite(samples) : -1;
    if (bad >= 0) {
      phrase.reason = { code: AudioErrorCode.InvalidSamples, message: `${job.source}: resampled sample ${bad} is ${samples[bad]}: the audio cannot be scored` };
      continue;
    }
    (parts[job.phraseAt] as Float32Array[]).push(samples);
    if (header.sampleRate !== rate) {
      const names = (resampled[job.phraseAt] as Map<number, string[]>).get(header.sampleRate) ?? [];
      names.push(job.source);
      (resampled[job.phraseAt] as Map<number, string[]>).set(header.sampleRate, names);
    }
  }
  phrases.forEach((phrase, at) => {
    if (phrase.reason) return;
    const own = parts[at] as Float32Array[];
    const samples = own.length === 1 ? (own[0] as Float32Array) : joinParts(own);
    if (samples.length === 0) {
      phrase.reason = { code: 'empty', message: `phrase ${phrase.phrase.phraseIndex}: audio has no samples` };
      return;
    }
    phrase.samples = samples;
    // Once per phrase and input rate, however many segments were resampled.
    for (const [inRate, names] of resampled[at] as Map<number, string[]>) {
      const which = names.length === 1 ? names[0] : `${names[0]} and ${names.length - 1} more segment${names.length > 2 ? 's' : ''}`;
      phrase.warnings.push(`${which}: resampled ${inRate} Hz → ${rate} Hz`);
    }
  });
}

/** Index of the first NaN/±Inf sample, or -1. */
function firstNonFinite(samples: Float32Array): number {
  // x - x is 0 for every finite x, NaN for NaN and ±Inf.
  for (let i = 0; i < samples.length; i++) if ((samples[i] as number) - (samples[i] as number) !== 0) return i;
  return -1;
}

/**
 * Groups the phrases with audio into engine calls of at most `budget` padded samples (batch size ×
 * longest waveform), longest first; each call lists its phrases in activity order. An activity that
 * fits the budget is one call.
 */
function batches(padded: readonly ({ length: number } | undefined)[], budget: number): number[][] {
  const withAudio = padded.flatMap((p, i) => (p ? [i] : []));
  const total = withAudio.reduce((n, i) => Math.max(n, (padded[i] as { length: number }).length), 0) * withAudio.length;
  if (total <= budget) return withAudio.length ? [withAudio] : [];
  const byLength = [...withAudio].sort((a, b) => (padded[b] as { length: number }).length - (padded[a] as { length: number }).length);
  const out: number[][] = [];
  let chunk: number[] = [];
  let longest = 0;
  for (const i of byLength) {
    if (chunk.length && (chunk.length + 1) * longest > budget) {
      out.push(chunk.sort((a, b) => a - b));
      chunk = [];
    }
    if (!chunk.length) longest = (padded[i] as { length: number }).length;
    chunk.push(i);
  }
  if (chunk.length) out.push(chunk.sort((a, b) => a - b));
  return out;
}

function unscoredPhrase(p: LoadedPhrase): PhraseResult {
  const items = p.phrase.items.map((item, position) => ({ position, item: item.name, expected: item.pronunciations, verdict: Verdict.Unscored, confidence: 0 }));
  return {
    phraseIndex: p.phrase.phraseIndex,
    status: 'unscored',
    reason: p.reason ?? { code: 'no-audio', message: 'no usable audio' },
    items,
    inserted: [],
    context: [],
    unparsed: [],
    heard: '',
    audioMs: 0,
    totals: totalsOf(items, 0),
    warnings: p.warnings,
  };
}

function activityTotals(phrases: readonly PhraseResult[]): Totals & { phrases: number; unscoredPhrases: number } {
  const all = phrases.flatMap((p) => p.items);
  const inserted = phrases.reduce((n, p) => n + p.inserted.length, 0);
  return { ...totalsOf(all, inserted), phrases: phrases.length, unscoredPhrases: phrases.filter((p) => p.status === 'unscored').length };
}
