/**
 * ReadScoreConfig: parsed once — from environment variables in Lambda, from flags in the CLI — with
 * every cross-setting rule here. Errors are ConfigErrors naming the variable or the flag.
 */

import { DEFAULT_MAX_AUDIO_SEC } from '../audio/wav';
import { ConfigError } from '../errors';
import { DEFAULT_SECOND_LOOK_MARGIN } from '../scoring/secondLook';
import { type ActivityLimits, DEFAULT_ACTIVITY_LIMITS, DEFAULT_PAD_SEC, SETTINGS, type Setting, setting } from './settings';

/** Where a CA bundle for the Triton server comes from. */
export type TritonCa = { file: string } | { secret: string } | { pem: string };

/** Triton engine settings (validated further by engines/triton/config.ts when the engine loads). */
export interface TritonSettings {
  readonly url: string;
  readonly ca: TritonCa;
  readonly clientCert?: { certFile: string; keyFile: string };
  readonly deadlineMs?: number;
  readonly fallbackToCpu: boolean;
}

/** AWS settings; which ones a handler needs is checked by {@link requireAws}. */
export interface AwsSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly audioBucket?: string;
  readonly audioPrefix: string;
  readonly maxSegmentBytes: number;
  readonly storyBucket?: string;
  readonly storyKey?: string;
  readonly resultsBucket?: string;
  readonly resultsPrefix: string;
  readonly resultsKmsKeyId?: string;
  readonly athenaWorkgroup?: string;
  readonly athenaDatabase?: string;
  readonly athenaTimeoutMs: number;
  readonly appsyncSecretName?: string;
  readonly secretsTtlSec: number;
  readonly scoringQueueUrl?: string;
  readonly deadLetterQueueUrl?: string;
}

/** The whole configuration of a ReadScore process. */
export interface ReadScoreConfig {
  readonly engine: {
    readonly kind: 'cpu' | 'triton';
    /** Model folder; undefined = the bundled model. */
    readonly modelDir?: string;
    readonly threads: number;
    readonly triton?: TritonSettings;
  };
  readonly aligner: 'auto' | 'native' | 'ts';
  readonly scoring: {
    readonly padSec: number;
    readonly maxAudioSec: number;
    /** Activity-level limits (total audio, phrases, items per phrase, segments). */
    readonly limits: ActivityLimits;
    /** false = greedy decoding only. */
    readonly secondLook: false | { readonly margin: number };
    /** The catalog's scoring policy for activities that do not name one. */
    readonly policy: 'practice' | 'assessment';
  };
  readonly aws: AwsSettings;
}

/** Raw values: from the environment (strings) or from parsed CLI flags (strings and booleans). */
export type ConfigSource =
  | { readonly from: 'env'; readonly env: Readonly<Record<string, string | undefined>> }
  | { readonly from: 'flags'; readonly flags: Readonly<Record<string, string | boolean | undefined>>; readonly env?: Readonly<Record<string, string | undefined>> };

/** The name a user knows a setting by, in this source: `READSCORE_PAD_SEC` or `--pad-sec`. */
function nameIn(source: ConfigSource, s: Setting): string {
  if (source.from === 'flags' && s.flag) return `--${s.flag}`;
  return s.env ?? `--${s.flag}`;
}

/** Reads one setting's raw text from the source (flags first, then the few env vars the CLI honours). */
function raw(source: ConfigSource, s: Setting): string | undefined {
  if (source.from === 'flags') {
    const v = s.flag ? source.flags[s.flag] : undefined;
    if (typeof v === 'boolean') return v ? 'true' : undefined;
    if (v !== undefined) return v;
    // The CLI honours only the aligner choice from the environment (CI forces the TS fallback).
    if (s.path === 'aligner') return source.env?.[s.env as string];
    return undefined;
  }
  const v = s.env ? source.env[s.env] : undefined;
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Parses and validates the configuration. Every error names the variable or the flag.
 *
 * @example
 * const config = readScoreConfig({ from: 'env', env: process.env });        // Lambda
 * const config = readScoreConfig({ from: 'flags', flags: parsed.values });    // CLI
 */
export function readScoreConfig(source: ConfigSource): ReadScoreConfig {
  const values = new Map<string, unknown>();
  for (const s of SETTINGS) {
    const text = raw(source, s);
    if (text === undefined) continue;
    const parsed = s.parse(text);
    if ('error' in parsed) throw new ConfigError('bad-setting', nameIn(source, s), parsed.error);
    values.set(s.path, parsed.value);
  }
  const get = <T>(path: string): T | undefined => values.get(path) as T | undefined;
  const name = (path: string) => nameIn(source, setting(path));

  const envForcesTs = (source.from === 'env' ? source.env : source.env)?.ALIGNER_FORCE_TS === '1';
  const aligner = get<ReadScoreConfig['aligner']>('aligner') ?? (envForcesTs ? 'ts' : 'auto');
  if (envForcesTs && aligner === 'native') throw new ConfigError('bad-setting', 'ALIGNER_FORCE_TS', 'contradicts READSCORE_ALIGNER=native');

  const kind = get<'cpu' | 'triton'>('engine.kind') ?? 'cpu';
  const tritonPaths = ['engine.triton.url', 'engine.triton.caFile', 'engine.triton.caSecret', 'engine.triton.clientCert', 'engine.triton.clientKey', 'engine.triton.deadlineMs'];
  const url = get<string>('engine.triton.url');
  // A plaintext URL is refused first, whatever else is wrong, so http:// always gets the HTTPS message.
  if (url !== undefined && /^(http|grpc):\/\//i.test(url)) {
    throw new ConfigError('https-required', name('engine.triton.url'), `HTTPS is required: plaintext connections to Triton are refused (${url}); use https://host:port`);
  }
  let triton: TritonSettings | undefined;
  if (kind === 'cpu') {
    const stray = tritonPaths.find((p) => values.has(p));
    if (stray) throw new ConfigError('bad-setting', name(stray), `Triton settings need the Triton engine (${name('engine.kind')} triton)`);
  } else {
    if (!url) throw new ConfigError('bad-setting', name('engine.triton.url'), 'the Triton engine needs a URL, https://host:port');
    const caFile = get<string>('engine.triton.caFile');
    const caSecret = get<string>('engine.triton.caSecret');
    if (caFile && caSecret)
      throw new ConfigError('bad-setting', name('engine.triton.caFile'), `give the CA as a file or as a secret (${name('engine.triton.caSecret')}), not both`);
    if (!caFile && !caSecret) {
      const where = source.from === 'flags' ? name('engine.triton.caFile') : name('engine.triton.caSecret');
      throw new ConfigError('bad-setting', where, 'a CA bundle is required to verify the Triton server certificate; verification cannot be turned off');
    }
    const certFile = get<string>('engine.triton.clientCert');
    const keyFile = get<string>('engine.triton.clientKey');
    if (Boolean(certFile) !== Boolean(keyFile))
      throw new ConfigError('bad-setting', name(certFile ? 'engine.triton.clientKey' : 'engine.triton.clientCert'), 'the client certificate and key go together');
    const deadlineMs = get<number>('engine.triton.deadlineMs');
    triton = {
      url,
      ca: caFile ? { file: caFile } : { secret: caSecret as string },
      ...(certFile && keyFile ? { clientCert: { certFile, keyFile } } : {}),
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      fallbackToCpu: get<boolean>('engine.triton.fallbackCpu') ?? false,
    };
  }
  if (kind === 'cpu' && values.has('engine.triton.fallbackCpu') && get<boolean>('engine.triton.fallbackCpu')) {
    throw new ConfigError('bad-setting', name('engine.triton.fallbackCpu'), `falling back to the CPU needs the Triton engine (${name('engine.kind')} triton)`);
  }

  const secondLookOn = source.from === 'flags' ? source.flags['no-second-look'] !== true : (get<boolean>('scoring.secondLook') ?? true);
  const margin = get<number>('scoring.secondLookMargin');
  if (!secondLookOn && margin !== undefined) {
    const off = source.from === 'flags' ? '--no-second-look' : name('scoring.secondLook');
    throw new ConfigError('bad-setting', name('scoring.secondLookMargin'), `a second-look margin and ${off} contradict each other`);
  }

  const modelDir = get<string>('engine.modelDir');
  const aws: AwsSettings = {
    ...optional('region', get<string>('aws.region')),
    ...optional('endpoint', get<string>('aws.endpoint')),
    ...optional('audioBucket', get<string>('aws.audioBucket')),
    audioPrefix: get<string>('aws.audioPrefix') ?? '',
    maxSegmentBytes: get<number>('aws.maxSegmentBytes') ?? 100 * 1024 * 1024,
    ...optional('storyBucket', get<string>('aws.storyBucket')),
    ...optional('storyKey', get<string>('aws.storyKey')),
    ...optional('resultsBucket', get<string>('aws.resultsBucket')),
    resultsPrefix: get<string>('aws.resultsPrefix') ?? 'results/',
    ...optional('resultsKmsKeyId', get<string>('aws.resultsKmsKeyId')),
    ...optional('athenaWorkgroup', get<string>('aws.athenaWorkgroup')),
    ...optional('athenaDatabase', get<string>('aws.athenaDatabase')),
    athenaTimeoutMs: get<number>('aws.athenaTimeoutMs') ?? 60_000,
    ...optional('appsyncSecretName', get<string>('aws.appsyncSecretName')),
    secretsTtlSec: get<number>('aws.secretsTtlSec') ?? 300,
    ...optional('scoringQueueUrl', get<string>('aws.scoringQueueUrl')),
    ...optional('deadLetterQueueUrl', get<string>('aws.deadLetterQueueUrl')),
  };
  return {
    engine: { kind, ...(modelDir ? { modelDir } : {}), threads: get<number>('engine.threads') ?? 1, ...(triton ? { triton } : {}) },
    aligner,
    scoring: {
      padSec: get<number>('scoring.padSec') ?? DEFAULT_PAD_SEC,
      maxAudioSec: get<number>('scoring.maxAudioSec') ?? DEFAULT_MAX_AUDIO_SEC,
      limits: {
        maxActivityAudioSec: get<number>('scoring.limits.maxActivityAudioSec') ?? DEFAULT_ACTIVITY_LIMITS.maxActivityAudioSec,
        maxPhrases: get<number>('scoring.limits.maxPhrases') ?? DEFAULT_ACTIVITY_LIMITS.maxPhrases,
        maxItemsPerPhrase: get<number>('scoring.limits.maxItemsPerPhrase') ?? DEFAULT_ACTIVITY_LIMITS.maxItemsPerPhrase,
        maxSegments: get<number>('scoring.limits.maxSegments') ?? DEFAULT_ACTIVITY_LIMITS.maxSegments,
      },
      secondLook: secondLookOn ? { margin: margin ?? DEFAULT_SECOND_LOOK_MARGIN } : false,
      policy: get<'practice' | 'assessment'>('scoring.policy') ?? 'practice',
    },
    aws,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The AWS settings a handler needs, by key. */
export type AwsNeed = Exclude<keyof AwsSettings, 'endpoint' | 'resultsKmsKeyId'>;

/**
 * Returns the AWS settings with `needs` present, or throws one ConfigError naming every missing
 * environment variable.
 */
export function requireAws<K extends AwsNeed>(config: ReadScoreConfig, needs: readonly K[]): AwsSettings & { readonly [P in K]-?: NonNullable<AwsSettings[P]> } {
  const missing = needs.filter((k) => config.aws[k] === undefined).map((k) => setting(`aws.${k}`).env as string);
  if (missing.length) throw new ConfigError('missing-setting', missing.join(', '), `required environment variable${missing.length > 1 ? 's are' : ' is'} not set`);
  return config.aws as AwsSettings & { readonly [P in K]-?: NonNullable<AwsSettings[P]> };
}

/** What the scoring Lambda needs from the environment. */
export const SCORING_NEEDS = [
  'region',
  'audioBucket',
  'storyBucket',
  'storyKey',
  'resultsBucket',
  'athenaWorkgroup',
  'athenaDatabase',
  'appsyncSecretName',
] as const satisfies readonly AwsNeed[];

/** What the enqueuer Lambda needs from the environment. */
export const ENQUEUER_NEEDS = ['region', 'athenaWorkgroup', 'athenaDatabase', 'scoringQueueUrl'] as const satisfies readonly AwsNeed[];

/**
 * The environment-variable table of the README ("Running in AWS"), made from SETTINGS and the
 * handlers' needs so the documentation cannot drift from the code (a test compares the two).
 */
export function environmentTable(): string {
  const needs = (path: string) => {
    const key = path.replace(/^aws\./, '');
    const by = [(SCORING_NEEDS as readonly string[]).includes(key) ? 'scoring' : '', (ENQUEUER_NEEDS as readonly string[]).includes(key) ? 'enqueuer' : ''].filter(Boolean);
    return by.length ? `required (${by.join(', ')})` : '';
  };
  const rows = SETTINGS.filter((s) => s.env).map((s) => `| \`${s.env}\` | ${s.flag ? `\`--${s.flag}\`` : ''} | ${needs(s.path) || (s.defaultText ?? '')} | ${s.description} |`);
  return ['| variable | CLI flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
