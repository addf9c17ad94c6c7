/**
 * Contract tests: what every producer emits validates against the released JSON Schema its
 * consumers read (contracts/<name>/v1.json), using a result scored through the real pipeline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '../../core/audio';
import { type ActivityResultV1, appsyncVariables, parseSegmentMetadata, resultRows, scoreRequest, validateActivityResult } from '../../core/contracts';
import { loadDefaultCatalog } from '../../core/items';
import { readModelFolder } from '../../core/model';
import { parseActivity } from '../../core/pipeline/activity';
import { scoreActivity } from '../../core/pipeline/score';
import type { ActivityResult } from '../../core/scoring/types';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import type { JSONSchema } from '../../tools/contracts/compat';
import { validate } from '../../tools/contracts/validate';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';

const released = (name: string): JSONSchema => JSON.parse(readFileSync(join(__dirname, '..', '..', 'contracts', name, 'v1.json'), 'utf8')) as JSONSchema;
const ID = '0123456789ABCDEF0123456789ABCDEF';
const wav = (elements: string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');

/** A realistic result: correct, substituted and omitted items, an insertion, and an unscored phrase. */
let raw: ActivityResult;
/** The same, as the contract type the other producers take (validated by zod at the boundary). */
let result: ActivityResultV1;
beforeAll(async () => {
  const catalog = loadDefaultCatalog();
  const engine = await CpuOnnxEngine.load(readModelFolder(writeTestModel()));
  try {
    const activity = parseActivity(
      {
        activityId: ID,
        storyId: 'story-1',
        phrases: [
          { phraseIndex: 0, items: ['a_letter', 'b_letter', 'c_letter'], audio: 'p0.wav' },
          { phraseIndex: 1, items: ['b_letter', 'f_sound', 'm_letter'], audio: 'p1.wav' },
          { phraseIndex: 2, items: ['n_letter'] },
        ],
      },
      catalog,
      'activity.json',
    );
    const audio = memoryAudio({ 'p0.wav': wav(['a', 'x', 'bi', 'si']), 'p1.wav': wav(['di', 'fʌ']) });
    raw = await scoreActivity(activity, engine, audio, { padSec: 0, catalog });
    result = validateActivityResult(raw, 'scoreActivity()');
  } finally {
    await engine.close();
  }
});

describe('producers match their consumers’ released schemas', () => {
  it('the pipeline result covers the interesting cases', () => {
    expect(result).toEqual(raw);
    expect(result.status).toBe('partial');
    expect(new Set(result.phrases.flatMap((p) => p.items.map((v) => v.verdict)))).toEqual(new Set(['correct', 'substituted', 'omitted', 'unscored']));
    expect(result.phrases[0]?.inserted.length).toBeGreaterThan(0);
  });

  it('ActivityResult (scoreActivity) → activity-result v1', () => {
    expect(validate(released('activity-result'), raw)).toEqual([]);
    expect(validate(released('activity-result'), JSON.parse(JSON.stringify(raw)))).toEqual([]);
  });

  it('ScoreRequest (scoreRequest) → score-request v1', () => {
    const schema = released('score-request');
    const now = new Date('2024-05-01T10:00:00Z');
    for (const source of ['enqueuer', 'redrive', 'manual'] as const) {
      expect(validate(schema, scoreRequest(ID, source, { now }))).toEqual([]);
      expect(validate(schema, JSON.parse(JSON.stringify(scoreRequest(ID, source, { correlationId: 'corr-1' }))))).toEqual([]);
    }
    // The schema is a real check: a snake_case body is refused.
    expect(validate(schema, { schemaVersion: 1, activity_id: ID, requestedAt: now.toISOString(), source: 'manual' })).toEqual([
      '(root): "activityId" is required',
      '(root): unexpected property "activity_id"',
    ]);
  });

  it('AppSync variables (appsyncVariables) → appsync-variables v1, decoded fieldValues → appsync-field-values v1', () => {
    const variables = appsyncVariables(result);
    expect(validate(released('appsync-variables'), variables)).toEqual([]);
    const fieldValues = JSON.parse(variables.fieldValues) as unknown;
    expect(validate(released('appsync-field-values'), fieldValues)).toEqual([]);
    expect(fieldValues).toMatchObject({ scoring_status: 'partial', unscored_phrases: [2] });
    const unscored = appsyncVariables({ ...result, status: 'unscored', totals: { ...result.totals, accuracy: null } });
    expect(validate(released('appsync-field-values'), JSON.parse(unscored.fieldValues))).toEqual([]);
  });

  it('result rows (resultRows) → result-rows v1', () => {
    const schema = released('result-rows');
    const rows = resultRows(result, { correlationId: 'corr-1', scoredAt: '2024-05-01T10:00:00.000Z' });
    expect(rows).toHaveLength(7);
    expect(rows.some((r) => r.unscoredReason === null) && rows.some((r) => r.unscoredReason === 'no-audio')).toBe(true);
    for (const row of rows) expect(validate(schema, row)).toEqual([]);
    const { storyId: _, ...noStory } = result;
    for (const row of resultRows(noStory, { correlationId: 'c', scoredAt: '2024-05-01T10:00:00Z' })) expect(validate(schema, row)).toEqual([]);
    // Each row says which policy judged it; results written before policies existed give null.
    const judged = resultRows({ ...result, scoringPolicy: 'assessment' }, { correlationId: 'c', scoredAt: '2024-05-01T10:00:00Z' });
    expect(new Set(judged.map((r) => r.scoringPolicy))).toEqual(new Set(['assessment']));
    for (const row of judged) expect(validate(schema, row)).toEqual([]);
    const { scoringPolicy: __, ...unrecorded } = result;
    expect(new Set(resultRows(unrecorded, { correlationId: 'c', scoredAt: '2024-05-01T10:00:00Z' }).map((r) => r.scoringPolicy))).toEqual(new Set([null]));
  });

  it('segment metadata as the tutoring app writes it → segment-metadata v1, and the parser agrees with the schema', () => {
    const schema = released('segment-metadata');
    const good = [
      { phraseindex: '0', sequencenumber: '7' },
      { phraseindex: '12', sequencenumber: '007', lastsegment: 'true' },
      { phraseindex: '1', sequencenumber: '2', lastsegment: '0', other: 'x' },
    ];
    for (const m of good) {
      expect(validate(schema, m)).toEqual([]);
      expect(() => parseSegmentMetadata(m, 'k', 1)).not.toThrow();
    }
    const bad = [
      { phraseindex: '7.0', sequencenumber: '1' },
      { phraseindex: '-1', sequencenumber: '1' },
      { phraseindex: '1' },
      { phraseindex: '1', sequencenumber: '1', lastsegment: 'yes' },
    ];
    for (const m of bad) {
      expect(validate(schema, m)).not.toEqual([]);
      expect(() => parseSegmentMetadata(m, 'k', 1)).toThrow();
    }
  });
});
