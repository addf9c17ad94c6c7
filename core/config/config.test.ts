import { ConfigError } from '../errors';
import { DEFAULT_SECOND_LOOK_MARGIN } from '../scoring/secondLook';
import { readScoreConfig, requireAws } from './config';
import { DEFAULT_ACTIVITY_LIMITS, DEFAULT_PAD_SEC, SETTINGS } from './settings';

const env = (vars: Record<string, string>) => readScoreConfig({ from: 'env', env: vars });
const flags = (values: Record<string, string | boolean>) => readScoreConfig({ from: 'flags', flags: values, env: {} });
const fails = (fn: () => unknown, input: string, message: RegExp) => {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).input).toBe(input);
  expect((error as ConfigError).message).toMatch(message);
};

describe('readScoreConfig', () => {
  it('gives the documented defaults from an empty environment and from no flags alike', () => {
    const a = env({});
    expect(a).toEqual(flags({}));
    expect(a).toMatchObject({
      engine: { kind: 'cpu', threads: 1 },
      aligner: 'auto',
      scoring: { padSec: DEFAULT_PAD_SEC, maxAudioSec: 600, secondLook: { margin: DEFAULT_SECOND_LOOK_MARGIN }, policy: 'practice' },
    });
    expect(a.aws).toMatchObject({ audioPrefix: '', resultsPrefix: 'results/', maxSegmentBytes: 104857600, athenaTimeoutMs: 60000, secretsTtlSec: 300 });
  });

  it('reads the activity limits from the environment and from flags, with documented defaults', () => {
    expect(env({}).scoring.limits).toEqual(DEFAULT_ACTIVITY_LIMITS);
    expect(DEFAULT_ACTIVITY_LIMITS).toEqual({ maxActivityAudioSec: 1200, maxPhrases: 1000, maxItemsPerPhrase: 200, maxSegments: 5000 });
    expect(env({ READSCORE_MAX_ACTIVITY_AUDIO_SEC: '90', READSCORE_MAX_PHRASES: '3', READSCORE_MAX_ITEMS_PER_PHRASE: '7', READSCORE_MAX_SEGMENTS: '9' }).scoring.limits).toEqual({
      maxActivityAudioSec: 90,
      maxPhrases: 3,
      maxItemsPerPhrase: 7,
      maxSegments: 9,
    });
    expect(flags({ 'max-items-per-phrase': '20' }).scoring.limits.maxItemsPerPhrase).toBe(20);
    fails(() => env({ READSCORE_MAX_PHRASES: '0' }), 'READSCORE_MAX_PHRASES', /expected an integer from 1 to 100000/);
    fails(() => flags({ 'max-segments': '2.5' }), '--max-segments', /an integer/);
  });

  it('reads the Lambda environment', () => {
    const c = env({
      READSCORE_ENGINE: 'triton',
      READSCORE_TRITON_URL: 'https://triton.internal:8443',
      READSCORE_TRITON_CA_SECRET: 'readscore/triton-ca',
      READSCORE_TRITON_FALLBACK_CPU: 'true',
      READSCORE_PAD_SEC: '2.5',
      READSCORE_SECOND_LOOK: 'off',
      READSCORE_RESULTS_PREFIX: 'out',
      READSCORE_AUDIO_BUCKET: 'speech-bucket',
    });
    expect(c.engine.triton).toEqual({ url: 'https://triton.internal:8443', ca: { secret: 'readscore/triton-ca' }, fallbackToCpu: true });
    expect(c.scoring).toMatchObject({ padSec: 2.5, secondLook: false });
    expect(c.aws).toMatchObject({ resultsPrefix: 'out/', audioBucket: 'speech-bucket' });
  });

  it('names the environment variable or the flag in every error', () => {
    fails(() => env({ READSCORE_PAD_SEC: 'lots' }), 'READSCORE_PAD_SEC', /expected a number from 0 to 30, got "lots"/);
    fails(() => flags({ 'pad-sec': '-1' }), '--pad-sec', /expected a number/);
    fails(() => env({ READSCORE_ENGINE: 'gpu' }), 'READSCORE_ENGINE', /expected cpu or triton/);
    fails(() => env({ READSCORE_AUDIO_BUCKET: 'Not_A_Bucket' }), 'READSCORE_AUDIO_BUCKET', /not an S3 bucket name/);
    fails(() => env({ READSCORE_RESULTS_PREFIX: '/abs' }), 'READSCORE_RESULTS_PREFIX', /relative key prefix/);
    fails(() => env({ READSCORE_THREADS: '1.5' }), 'READSCORE_THREADS', /an integer/);
  });

  it('refuses plaintext endpoints: Triton always, AWS endpoints unless on loopback', () => {
    fails(() => env({ READSCORE_ENGINE: 'triton', READSCORE_TRITON_URL: 'http://triton:8000', READSCORE_TRITON_CA_SECRET: 's' }), 'READSCORE_TRITON_URL', /HTTPS is required/);
    fails(() => flags({ 'triton-url': 'http://triton:8000' }), '--triton-url', /HTTPS is required/);
    fails(() => env({ READSCORE_AWS_ENDPOINT: 'http://10.0.0.5:4566' }), 'READSCORE_AWS_ENDPOINT', /HTTPS is required/);
    fails(() => env({ READSCORE_SCORING_QUEUE_URL: 'http://sqs.example.com/1/q' }), 'READSCORE_SCORING_QUEUE_URL', /HTTPS is required/);
    expect(env({ READSCORE_AWS_ENDPOINT: 'http://127.0.0.1:5000' }).aws.endpoint).toBe('http://127.0.0.1:5000');
  });

  it('checks the Triton rules once: URL and CA required, CA from one place, client cert with key, no Triton settings on the CPU engine', () => {
    fails(() => flags({ engine: 'triton' }), '--triton-url', /needs a URL/);
    fails(() => flags({ engine: 'triton', 'triton-url': 'https://t:1' }), '--ca', /CA bundle is required.*cannot be turned off/);
    fails(() => env({ READSCORE_ENGINE: 'triton', READSCORE_TRITON_URL: 'https://t:1' }), 'READSCORE_TRITON_CA_SECRET', /CA bundle is required/);
    fails(() => flags({ engine: 'triton', 'triton-url': 'https://t:1', ca: 'ca.pem', 'client-cert': 'c.pem' }), '--client-key', /go together/);
    fails(() => flags({ 'triton-url': 'https://t:1' }), '--triton-url', /need the Triton engine \(--engine triton\)/);
    fails(() => env({ READSCORE_TRITON_FALLBACK_CPU: 'true' }), 'READSCORE_TRITON_FALLBACK_CPU', /needs the Triton engine \(READSCORE_ENGINE triton\)/);
    expect(flags({ engine: 'triton', 'triton-url': 'https://t:1', ca: 'ca.pem', 'deadline-ms': '250' }).engine.triton).toEqual({
      url: 'https://t:1',
      ca: { file: 'ca.pem' },
      deadlineMs: 250,
      fallbackToCpu: false,
    });
  });

  it('rejects a second-look margin together with the second look turned off', () => {
    fails(() => flags({ 'no-second-look': true, 'second-look-margin': '2' }), '--second-look-margin', /--no-second-look contradict/);
    fails(() => env({ READSCORE_SECOND_LOOK: 'false', READSCORE_SECOND_LOOK_MARGIN: '2' }), 'READSCORE_SECOND_LOOK_MARGIN', /READSCORE_SECOND_LOOK contradict/);
    expect(flags({ 'second-look-margin': '0' }).scoring.secondLook).toEqual({ margin: 0 });
  });

  it('takes the aligner backend from READSCORE_ALIGNER or ALIGNER_FORCE_TS, for the CLI too', () => {
    expect(env({ READSCORE_ALIGNER: 'native' }).aligner).toBe('native');
    expect(readScoreConfig({ from: 'flags', flags: {}, env: { ALIGNER_FORCE_TS: '1' } }).aligner).toBe('ts');
    fails(() => env({ READSCORE_ALIGNER: 'gpu' }), 'READSCORE_ALIGNER', /expected auto or native or ts/);
  });
});

describe('requireAws', () => {
  it('returns the settings a handler needs, or names every missing variable at once', () => {
    const c = env({ READSCORE_RESULTS_BUCKET: 'results-bucket' });
    expect(requireAws(c, ['resultsBucket']).resultsBucket).toBe('results-bucket');
    fails(
      () => requireAws(c, ['resultsBucket', 'audioBucket', 'appsyncSecretName']),
      'READSCORE_AUDIO_BUCKET, READSCORE_APPSYNC_SECRET',
      /required environment variables are not set/,
    );
  });
});

describe('SETTINGS', () => {
  it('gives every setting a unique path, environment variable and flag', () => {
    for (const key of ['path', 'env', 'flag'] as const) {
      const names = SETTINGS.map((s) => s[key]).filter(Boolean);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});
