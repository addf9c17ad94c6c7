/**
 * Scores one activity: read and resample every phrase's audio, pad with neighbours, normalise per
 * the model manifest, run ONE batched engine call, decode, align and judge each phrase.
 */
import { performance } from 'node:perf_hooks';
import { createAligner, type PhraseAligner } from '../../aligner';
import { assembleSegments, DEFAULT_MAX_AUDIO_SEC, padWithNeighbours, readWav, resample } from '../audio';
import { DEFAULT_PAD_SEC } from '../config/settings';
import { decodePhrase } from '../decode';
import { ReadScoreInputError } from '../errors';
import { type ItemCatalog, loadDefaultCatalog } from '../items';
import { normalizeForModel } from '../model';
import { buildCostTable, judgePhrases, type PhraseToJudge, type SecondLookOptions, secondLookConfig, totalsOf } from '../scoring';
import type { ActivityResult, PhraseResult, StageTimings, Totals, UnscoredReason } from '../scoring/types';
import { Verdict } from '../scoring/types';
import type { Activity, Phrase } from './activity';
import type { AudioSource } from './audioSource';
import type { Engine } from './engine';

/** Receives warnings worth a log line (dropped packets, resampled audio). */
export interface ScoreLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link scoreActivity}. */
export interface ScoreOptions {
  /** Seconds of neighbour audio added on each side of a phrase (default 3; 0 disables). */
  padSec?: number;
  /** Longest accepted audio file, seconds (default 600). */
  maxAudioSec?: number;
  catalog?: ItemCatalog;
  /** Defaults to a new aligner (best available backend) for the catalog's cost table; pass one to reuse it. */
  aligner?: PhraseAligner;
  logger?: ScoreLogger;
  /** Second look at substituted/omitted items (see core/scoring/secondLook.ts); `false` turns it off. */
  secondLook?: SecondLookOptions | false;
}

export { DEFAULT_PAD_SEC } from '../config/settings';

interface LoadedPhrase {
  readonly phrase: Phrase;
  readonly samples?: Float32Array;
  readonly reason?: UnscoredReason;
  readonly warnings: string[];
}

const silentLogger: ScoreLogger = { warn: () => {} };

/**
 * Scores an activity with an engine, reading audio from `audio`.
 *
 * @example
 * const result = await scoreActivity(activity, engine, localAudio(dir));
 */
export async function scoreActivity(activity: Activity, engine: Engine, audio: AudioSource, options: ScoreOptions = {}): Promise<ActivityResult> {
  const started = performance.now();
  const catalog = options.catalog ?? loadDefaultCatalog();
  const aligner = options.aligner ?? createAligner(buildCostTable(catalog));
  const logger = options.logger ?? silentLogger;
  const manifest = engine.manifest;
  const rate = manifest.sampleRate;
  const timings: StageTimings = { read: 0, resample: 0, preprocess: 0, inference: 0, model: 0, decode: 0, align: 0, total: 0 };
  const maxAudioSec = options.maxAudioSec ?? DEFAULT_MAX_AUDIO_SEC;
  const secondLook = options.secondLook === false ? undefined : secondLookConfig(catalog, manifest.vocabulary, options.secondLook);

  // Fetch every file at once (I/O overlaps; S3 reads especially), then decode in order.
  let t = performance.now();
  const fetched = await Promise.all(activity.phrases.map((phrase) => Promise.all(phrase.segments.map((segment) => fetchAudio(audio, segment.audio)))));
  timings.read = performance.now() - t;
  const loaded = activity.phrases.map((phrase, i) => decodePhraseAudio(phrase, fetched[i] as Fetched[], audio, rate, maxAudioSec, timings, logger, activity.activityId));

  t = performance.now();
  const padSamples = Math.round((options.padSec ?? DEFAULT_PAD_SEC) * rate);
  const padded = padWithNeighbours(
    loaded.map((p) => p.samples),
    padSamples,
  );
  const batch: Float32Array[] = [];
  const batchIndex: number[] = [];
  padded.forEach((p, i) => {
    if (!p) return;
    batchIndex[i] = batch.length;
    batch.push(normalizeForModel(p.parts, manifest));
  });
  timings.preprocess = performance.now() - t;

  t = performance.now();
  const inference = batch.length ? await engine.infer(batch) : { logits: [], servedBy: engine.describe().kind };
  const logits = inference.logits;
  timings.inference = performance.now() - t;
  timings.model = inference.modelMs ?? timings.inference;

  t = performance.now();
  const vocabulary = { tokens: manifest.vocabulary, blank: manifest.blank, separator: manifest.separator, frameMs: (manifest.frameStride / rate) * 1000 };
  const toJudge: PhraseToJudge[] = [];
  loaded.forEach((p, i) => {
    const pad = padded[i];
    if (!pad || !p.samples) return;
    const phraseLogits = logits[batchIndex[i] as number];
    if (!phraseLogits) throw new Error(`engine returned ${logits.length} results for a batch of ${batch.length}`);
    toJudge.push({
      phraseIndex: p.phrase.phraseIndex,
      items: p.phrase.items,
      hypothesis: decodePhrase(phraseLogits, vocabulary, catalog),
      leadMs: (pad.leadSamples / rate) * 1000,
      ownMs: (p.samples.length / rate) * 1000,
      warnings: p.warnings,
    });
  });
  timings.decode = performance.now() - t;

  t = performance.now();
  const judged = judgePhrases(toJudge, aligner, catalog.elements.length, secondLook);
  timings.align = performance.now() - t;

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
    engine: inference.servedBy,
    model: `${manifest.name}@${manifest.version}`,
    modelSha256: manifest.sha256,
    catalog: `${catalog.name}@${catalog.version}`,
    aligner: aligner.backend,
    timings,
  };
}

/** A fetched file, or the input error that fetching it raised. */
type Fetched = { ok: true; bytes: Uint8Array } | { ok: false; error: ReadScoreInputError };

async function fetchAudio(audio: AudioSource, ref: string): Promise<Fetched> {
  try {
    return { ok: true, bytes: await audio.read(ref) };
  } catch (error) {
    if (error instanceof ReadScoreInputError) return { ok: false, error };
    throw error;
  }
}

function decodePhraseAudio(
  phrase: Phrase,
  files: readonly Fetched[],
  audio: AudioSource,
  rate: number,
  maxAudioSec: number,
  timings: StageTimings,
  logger: ScoreLogger,
  activityId: string,
): LoadedPhrase {
  const warnings: string[] = [];
  if (phrase.segments.length === 0) {
    return { phrase, warnings, reason: { code: 'no-audio', message: `phrase ${phrase.phraseIndex} has no audio` } };
  }
  const segments = [];
  for (const [k, segment] of phrase.segments.entries()) {
    const file = files[k] as Fetched;
    if (!file.ok) return { phrase, warnings, reason: { code: file.error.code, message: file.error.message } };
    const name = audio.describe(segment.audio);
    let t = performance.now();
    let decoded: ReturnType<typeof readWav>;
    try {
      decoded = readWav(file.bytes, name, { maxDurationSec: maxAudioSec });
    } catch (error) {
      if (error instanceof ReadScoreInputError) return { phrase, warnings, reason: { code: error.code, message: error.message } };
      throw error;
    } finally {
      timings.read += performance.now() - t;
    }
    t = performance.now();
    if (decoded.sampleRate !== rate) warnings.push(`${name}: resampled ${decoded.sampleRate} Hz → ${rate} Hz`);
    const samples = resample(decoded.samples, decoded.sampleRate, rate);
    timings.resample += performance.now() - t;
    segments.push({ sequenceNumber: segment.sequenceNumber, samples, source: name });
  }
  const assembled = assembleSegments(segments);
  for (const gap of assembled.dropped) {
    const message = `dropped packets: sequence number(s) ${gap.missing.join(', ')} missing after ${gap.after}`;
    warnings.push(message);
    logger.warn(message, { activityId, phraseIndex: phrase.phraseIndex });
  }
  if (assembled.samples.length === 0) return { phrase, warnings, reason: { code: 'empty', message: `phrase ${phrase.phraseIndex}: audio has no samples` } };
  return { phrase, warnings, samples: assembled.samples };
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
