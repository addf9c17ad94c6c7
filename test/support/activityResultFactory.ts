/** A hand-built ActivityResult v1 for sink tests: every verdict kind and an unscored phrase. */
import type { ActivityResultV1 } from '../../core/contracts/activityResult';

/** A partially scored activity: one scored phrase (every verdict kind), one unscored for no audio. */
export function activityResult(overrides: Partial<ActivityResultV1> = {}): ActivityResultV1 {
  const scoredTotals = { items: 4, correct: 2, accepted: 1, errors: 2, substituted: 1, omitted: 1, inserted: 0, accuracy: 0.5 };
  return {
    schemaVersion: 1,
    activityId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90',
    storyId: 'story-12',
    status: 'partial',
    phrases: [
      {
        phraseIndex: 0,
        status: 'scored',
        items: [
          { position: 0, item: 'b_sound', expected: ['b'], verdict: 'correct', heard: 'b', confidence: 0.92, startMs: 100, endMs: 400 },
          { position: 1, item: 'm_name', expected: ['ɛm'], verdict: 'accepted', heard: 'em', confidence: 0.81, startMs: 500, endMs: 900 },
          { position: 2, item: 'd_sound', expected: ['d'], verdict: 'substituted', heard: 't', confidence: 0.66, startMs: 1000, endMs: 1300 },
          { position: 3, item: 'f_sound', expected: ['f'], verdict: 'omitted', confidence: 0.7 },
        ],
        inserted: [],
        context: [],
        unparsed: [],
        heard: 'b em t',
        audioMs: 2000,
        totals: scoredTotals,
        warnings: [],
      },
      {
        phraseIndex: 1,
        status: 'unscored',
        reason: { code: 'no-audio', message: 'no segments for phrase 1' },
        items: [
          { position: 0, item: 's_sound', expected: ['s'], verdict: 'unscored', confidence: 0 },
          { position: 1, item: 'a_name', expected: ['eɪ'], verdict: 'unscored', confidence: 0 },
        ],
        inserted: [],
        context: [],
        unparsed: [],
        heard: '',
        audioMs: 0,
        totals: { items: 0, correct: 0, accepted: 0, errors: 0, substituted: 0, omitted: 0, inserted: 0, accuracy: null },
        warnings: [],
      },
    ],
    totals: { ...scoredTotals, phrases: 2, unscoredPhrases: 1 },
    engine: 'cpu-onnx',
    model: 'letters-ctc@1.2.0',
    modelSha256: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    catalog: 'letter-items@1.0.0',
    aligner: 'ts',
    timings: { read: 1, resample: 0, preprocess: 2, inference: 30, model: 25, decode: 1, align: 1, total: 36 },
    ...overrides,
  };
}
