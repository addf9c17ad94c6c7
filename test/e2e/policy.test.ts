/**
 * Scoring policies through the scorer: the run's policy (config) and an activity's own
 * `scoringPolicy`; the result records which one judged it.
 */
import { encodeWav } from '../../core/audio';
import { readScoreConfig } from '../../core/config';
import { ActivityInputError } from '../../core/errors';
import { readModelFolder } from '../../core/model';
import type { ActivityManifest } from '../../core/pipeline/activity';
import { createScorer } from '../../core/pipeline/scorer';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { memoryAudio } from '../support/memoryAudio';
import { craftWave, framesForElements, writeTestModel } from '../support/testModel';

const ID = '0123456789ABCDEF0123456789ABCDEF';
// "B" answered with its sound, the sound of E answered with the name of E.
const manifest = (scoringPolicy?: string): ActivityManifest => ({
  activityId: ID,
  ...(scoringPolicy ? { scoringPolicy } : {}),
  phrases: [{ phraseIndex: 0, items: ['b_letter', 'e_sound'], audio: 'p0' }],
});
const audio = () => memoryAudio({ p0: encodeWav(craftWave(framesForElements(['b', 'i'])), 16000, 'float32') });

let engine: CpuOnnxEngine;
beforeAll(async () => {
  engine = await CpuOnnxEngine.load(readModelFolder(writeTestModel()));
});
afterAll(() => engine.close());

async function score(runPolicy: string | undefined, activityPolicy?: string) {
  const config = readScoreConfig({ from: 'env', env: runPolicy ? { READSCORE_SCORING_POLICY: runPolicy } : {} });
  const scorer = await createScorer(config, { engine, activities: { load: async () => ({ manifest: manifest(activityPolicy), audio: audio(), source: 'activity.json' }) } });
  const { result } = await scorer.score({ activityId: ID });
  return { policy: result.scoringPolicy, verdicts: result.phrases[0]?.items.map((v) => [v.item, v.verdict, v.heard]) };
}

describe('scoring policy', () => {
  it('practice (the default) accepts the sound for B and the name of E for its sound', async () => {
    expect(await score(undefined)).toEqual({
      policy: 'practice',
      verdicts: [
        ['b_letter', 'accepted', 'b'],
        ['e_sound', 'correct', 'i'],
      ],
    });
  });

  it('assessment (for the run) flags both', async () => {
    expect(await score('assessment')).toEqual({
      policy: 'assessment',
      verdicts: [
        ['b_letter', 'substituted', 'b'],
        ['e_sound', 'substituted', 'i'],
      ],
    });
  });

  it("an activity's scoringPolicy overrides the run's, both ways", async () => {
    expect((await score(undefined, 'assessment')).policy).toBe('assessment');
    expect(await score('assessment', 'practice')).toMatchObject({ policy: 'practice', verdicts: [['b_letter', 'accepted', 'b'], expect.anything()] });
  });

  it('an unknown policy is refused: the activity as an input error, the run as a config error', async () => {
    await expect(score(undefined, 'lenient')).rejects.toBeInstanceOf(ActivityInputError);
    await expect(score(undefined, 'lenient')).rejects.toThrow(
      /^activity\.json: scoringPolicy: "lenient" is not a policy of catalog letter-items 1\.1\.0 \(practice, assessment\)$/,
    );
    expect(() => readScoreConfig({ from: 'env', env: { READSCORE_SCORING_POLICY: 'lenient' } })).toThrow(/READSCORE_SCORING_POLICY/);
  });
});
