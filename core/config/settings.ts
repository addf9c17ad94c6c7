/**
 * Every setting of ReadScore, once: its config path, environment variable (Lambda), CLI flag, parser
 * and default. `readScoreConfig` (config.ts) turns either source into one validated config; the
 * README's environment table and the CLI help are checked against this list by tests.
 */
import { DEFAULT_MAX_AUDIO_SEC } from '../audio/wav';
import { DEFAULT_SECOND_LOOK_MARGIN } from '../scoring/secondLook';

export { DEFAULT_MAX_AUDIO_SEC, DEFAULT_SECOND_LOOK_MARGIN };

/** Seconds of neighbour audio added on each side of a phrase by default. */
export const DEFAULT_PAD_SEC = 3;

/** Most intra-op threads of the CPU engine (each thread holds its own scratch memory). */
export const MAX_ENGINE_THREADS = 64;

/**
 * What one activity may ask of a scorer. Memory and time grow with each of these, so each has a
 * bound; an activity over one is refused as a whole with an ActivityInputError naming the limit.
 */
export interface ActivityLimits {
  /** Seconds of audio of all segments together, summed from the WAV headers before decoding. */
  readonly maxActivityAudioSec: number;
  readonly maxPhrases: number;
  /** Items of one phrase (the second look's cost grows with them). */
  readonly maxItemsPerPhrase: number;
  /** Audio segments (file references) of the whole activity. */
  readonly maxSegments: number;
}

/**
 * Default activity limits: far above a real letter-naming activity (a few minutes, tens of phrases),
 * low enough that the largest activity within them scores in well under 1 GB.
 */
export const DEFAULT_ACTIVITY_LIMITS: ActivityLimits = { maxActivityAudioSec: 1200, maxPhrases: 1000, maxItemsPerPhrase: 200, maxSegments: 5000 };

/** How a raw string (an env value or a flag argument) becomes a value; returns an error text or the value. */
export type SettingParser = (raw: string) => { value: unknown } | { error: string };

/** One setting. */
export interface Setting {
  /** Dotted path in the raw config, e.g. `engine.kind`. */
  readonly path: string;
  /** Environment variable read in Lambda (and by the CLI for a few). */
  readonly env?: string;
  /** CLI flag without the dashes. */
  readonly flag?: string;
  readonly parse: SettingParser;
  /** Default as documented (the value used when neither source gives one); undefined = none. */
  readonly defaultText?: string;
  readonly description: string;
}

const text: SettingParser = (raw) => (raw.trim() === '' ? { error: 'must not be empty' } : { value: raw.trim() });

const oneOf =
  (...values: readonly string[]): SettingParser =>
  (raw) =>
    values.includes(raw) ? { value: raw } : { error: `expected ${values.join(' or ')}, got "${raw}"` };

const number =
  (min: number, max: number, integer: boolean): SettingParser =>
  (raw) => {
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      return { error: `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"` };
    }
    return { value: n };
  };

const boolean: SettingParser = (raw) => {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return { value: true };
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return { value: false };
  return { error: `expected true or false, got "${raw}"` };
};

const bucket: SettingParser = (raw) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) ? { value: raw } : { error: `"${raw}" is not an S3 bucket name` });

/** A key prefix: empty, or ending in `/`; never starting with `/`. */
const prefix: SettingParser = (raw) => {
  if (raw === '') return { value: '' };
  if (raw.startsWith('/') || raw.includes('..')) return { error: `"${raw}" must be a relative key prefix` };
  return { value: raw.endsWith('/') ? raw : `${raw}/` };
};

/** An endpoint override: HTTPS, or plain HTTP to a loopback address only (local AWS in tests). */
const endpoint: SettingParser = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `"${raw}" is not a URL` };
  }
  if (url.protocol === 'https:') return { value: raw };
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return { value: raw };
  return { error: `HTTPS is required (plain HTTP only to a loopback address): "${raw}" is refused` };
};

/** The settings, in documentation order. */
export const SETTINGS: readonly Setting[] = [
  { path: 'engine.kind', env: 'READSCORE_ENGINE', flag: 'engine', parse: oneOf('cpu', 'triton'), defaultText: 'cpu', description: 'inference engine' },
  { path: 'engine.modelDir', env: 'READSCORE_MODEL_DIR', flag: 'model', parse: text, defaultText: 'the bundled model', description: 'model folder (manifest.json + model.onnx)' },
  { path: 'engine.threads', env: 'READSCORE_THREADS', flag: 'threads', parse: number(1, MAX_ENGINE_THREADS, true), defaultText: '1', description: 'CPU engine intra-op threads' },
  { path: 'engine.triton.url', env: 'READSCORE_TRITON_URL', flag: 'triton-url', parse: text, description: 'Triton server, https://host:port (http:// is refused)' },
  { path: 'engine.triton.caFile', flag: 'ca', parse: text, description: 'CA bundle (PEM file) that signed the Triton server certificate' },
  { path: 'engine.triton.caSecret', env: 'READSCORE_TRITON_CA_SECRET', parse: text, description: 'Secrets Manager secret holding that CA bundle (PEM)' },
  { path: 'engine.triton.clientCert', flag: 'client-cert', parse: text, description: 'client certificate (PEM) for mTLS, with the client key' },
  { path: 'engine.triton.clientKey', flag: 'client-key', parse: text, description: 'client key (PEM) for mTLS' },
  {
    path: 'engine.triton.deadlineMs',
    env: 'READSCORE_TRITON_DEADLINE_MS',
    flag: 'deadline-ms',
    parse: number(1, 600_000, true),
    defaultText: '10000',
    description: 'deadline of each Triton call attempt, ms',
  },
  {
    path: 'engine.triton.fallbackCpu',
    env: 'READSCORE_TRITON_FALLBACK_CPU',
    flag: 'fallback-cpu',
    parse: boolean,
    defaultText: 'false',
    description: 'score on the local CPU engine while the Triton breaker is open',
  },
  {
    path: 'aligner',
    env: 'READSCORE_ALIGNER',
    parse: oneOf('auto', 'native', 'ts'),
    defaultText: 'auto',
    description: 'aligner backend (auto: native when built, else TypeScript; ALIGNER_FORCE_TS=1 means ts)',
  },
  {
    path: 'scoring.padSec',
    env: 'READSCORE_PAD_SEC',
    flag: 'pad-sec',
    parse: number(0, 30, false),
    defaultText: String(DEFAULT_PAD_SEC),
    description: 'neighbour padding per side, seconds (0 disables)',
  },
  {
    path: 'scoring.maxAudioSec',
    env: 'READSCORE_MAX_AUDIO_SEC',
    flag: 'max-audio-sec',
    parse: number(0.001, 7200, false),
    defaultText: String(DEFAULT_MAX_AUDIO_SEC),
    description: 'longest accepted audio file, seconds',
  },
  {
    path: 'scoring.limits.maxActivityAudioSec',
    env: 'READSCORE_MAX_ACTIVITY_AUDIO_SEC',
    flag: 'max-activity-audio-sec',
    parse: number(1, 36_000, false),
    defaultText: String(DEFAULT_ACTIVITY_LIMITS.maxActivityAudioSec),
    description: 'most audio of one activity, all files together, seconds',
  },
  {
    path: 'scoring.limits.maxPhrases',
    env: 'READSCORE_MAX_PHRASES',
    flag: 'max-phrases',
    parse: number(1, 100_000, true),
    defaultText: String(DEFAULT_ACTIVITY_LIMITS.maxPhrases),
    description: 'most phrases of one activity',
  },
  {
    path: 'scoring.limits.maxItemsPerPhrase',
    env: 'READSCORE_MAX_ITEMS_PER_PHRASE',
    flag: 'max-items-per-phrase',
    parse: number(1, 100_000, true),
    defaultText: String(DEFAULT_ACTIVITY_LIMITS.maxItemsPerPhrase),
    description: 'most items of one phrase',
  },
  {
    path: 'scoring.limits.maxSegments',
    env: 'READSCORE_MAX_SEGMENTS',
    flag: 'max-segments',
    parse: number(1, 1_000_000, true),
    defaultText: String(DEFAULT_ACTIVITY_LIMITS.maxSegments),
    description: 'most audio files (segments) of one activity',
  },
  {
    path: 'scoring.secondLookMargin',
    env: 'READSCORE_SECOND_LOOK_MARGIN',
    flag: 'second-look-margin',
    parse: number(0, 100, false),
    defaultText: String(DEFAULT_SECOND_LOOK_MARGIN),
    description: 'second-look margin, nats',
  },
  {
    path: 'scoring.policy',
    env: 'READSCORE_SCORING_POLICY',
    flag: 'scoring-policy',
    parse: oneOf('practice', 'assessment'),
    defaultText: 'practice',
    description: "scoring policy of the item catalog (assessment: no letter sound for a name, no name for a sound); an activity's scoringPolicy overrides it",
  },
  {
    path: 'scoring.secondLook',
    env: 'READSCORE_SECOND_LOOK',
    parse: boolean,
    defaultText: 'true',
    description: 'second look at substituted/omitted items (CLI: --no-second-look)',
  },
  { path: 'aws.region', env: 'AWS_REGION', parse: text, description: 'AWS region (set by Lambda)' },
  { path: 'aws.endpoint', env: 'READSCORE_AWS_ENDPOINT', parse: endpoint, description: 'endpoint override for local AWS in tests (https, or http to loopback only)' },
  { path: 'aws.audioBucket', env: 'READSCORE_AUDIO_BUCKET', parse: bucket, description: 'speech bucket holding <activityId>/<segment>.wav' },
  { path: 'aws.audioPrefix', env: 'READSCORE_AUDIO_PREFIX', parse: prefix, defaultText: '(none)', description: 'key prefix above the activity folders' },
  {
    path: 'aws.maxSegmentBytes',
    env: 'READSCORE_MAX_SEGMENT_BYTES',
    parse: number(1, 2 ** 31 - 1, true),
    defaultText: '104857600',
    description: 'largest segment object read, bytes (a larger one leaves its phrase unscored `too-long`)',
  },
  { path: 'aws.storyBucket', env: 'READSCORE_STORY_BUCKET', parse: bucket, description: 'bucket of the story-phrase table' },
  { path: 'aws.storyKey', env: 'READSCORE_STORY_KEY', parse: text, description: 'object key of the story-phrase table (JSON or CSV)' },
  { path: 'aws.resultsBucket', env: 'READSCORE_RESULTS_BUCKET', parse: bucket, description: 'results bucket (Parquet + JSON)' },
  { path: 'aws.resultsPrefix', env: 'READSCORE_RESULTS_PREFIX', parse: prefix, defaultText: 'results/', description: 'key prefix of the results table' },
  { path: 'aws.resultsKmsKeyId', env: 'READSCORE_RESULTS_KMS_KEY_ID', parse: text, description: 'KMS key for results objects (SSE-KMS); bucket default when unset' },
  { path: 'aws.athenaWorkgroup', env: 'READSCORE_ATHENA_WORKGROUP', parse: text, description: 'Athena workgroup (owns the query results location)' },
  { path: 'aws.athenaDatabase', env: 'READSCORE_ATHENA_DATABASE', parse: text, description: 'Athena database holding activity_v' },
  {
    path: 'aws.athenaTimeoutMs',
    env: 'READSCORE_ATHENA_TIMEOUT_MS',
    parse: number(1000, 900_000, true),
    defaultText: '60000',
    description: 'overall timeout of one Athena query, ms',
  },
  { path: 'aws.appsyncSecretName', env: 'READSCORE_APPSYNC_SECRET', parse: text, description: 'Secrets Manager secret {url, api_key} of the AppSync API' },
  {
    path: 'aws.secretsTtlSec',
    env: 'READSCORE_SECRETS_TTL_SEC',
    parse: number(0, 86_400, true),
    defaultText: '300',
    description: 'how long secrets are cached per container, seconds',
  },
  { path: 'aws.scoringQueueUrl', env: 'READSCORE_SCORING_QUEUE_URL', parse: endpoint, description: 'scoring queue URL (the enqueuer sends to it)' },
  { path: 'aws.deadLetterQueueUrl', env: 'READSCORE_DLQ_URL', parse: endpoint, description: 'dead-letter queue URL of the scoring queue' },
];

/** Looks a setting up by path (throws for an unknown path: a programming error). */
export function setting(path: string): Setting {
  const found = SETTINGS.find((s) => s.path === path);
  if (!found) throw new Error(`no setting ${path}`);
  return found;
}
