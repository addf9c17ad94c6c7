import { ModelError } from '../core/errors';
import { logitsProblem, verifyFrameStride } from './logits';

describe('logitsProblem', () => {
  const manifest = { frameStride: 4, vocabulary: ['<pad>', '|', 'a'] };
  const logits = (values: number[], frames = values.length / 3) => ({ data: Float32Array.from(values), frames, vocab: 3 });

  it('accepts finite logits of the right shape', () => expect(logitsProblem(logits([0, 1, 2, 3, 4, 5]), 8, manifest)).toBeUndefined());
  it.each([
    ['NaN', logits([0, 1, 2, 3, Number.NaN, 5]), /logit NaN at frame 1, class "\|"/],
    ['-Inf', logits([Number.NEGATIVE_INFINITY, 1, 2, 3, 4, 5]), /logit -Infinity at frame 0, class "<pad>"/],
    ['a wrong class count', { data: new Float32Array(4), frames: 2, vocab: 2 }, /2 classes per frame, but the manifest lists 3/],
    ['more frames than the samples make', logits(new Array(9).fill(0)), /3 frames for 8 samples \(2 expected/],
    ['a data length that does not match', logits([0, 1, 2], 2), /3 values for 2 frames × 3 classes/],
    ['nothing', undefined, /no logits/],
  ])('names %s', (_, value, message) => expect(logitsProblem(value, 8, manifest)).toMatch(message));

  it('refuses output far shorter than the phrase (a truncated response)', () => {
    expect(logitsProblem(logits(new Array(30).fill(0)), 400, manifest)).toMatch(/10 frames for 400 samples \(100 expected/);
  });
});

describe('verifyFrameStride', () => {
  const manifest = { sampleRate: 16000, frameStride: 320 };
  it('passes when the frames grow by samples / frameStride', async () => {
    await expect(verifyFrameStride(async (n) => Math.ceil(n / 320) - 1, manifest, 'm.json')).resolves.toBeUndefined();
  });
  it('fails naming the measured stride', async () => {
    const check = verifyFrameStride(async (n) => Math.floor(n / 160), manifest, 'm.json');
    await expect(check).rejects.toBeInstanceOf(ModelError);
    await expect(verifyFrameStride(async (n) => Math.floor(n / 160), manifest, 'm.json')).rejects.toThrow(
      /^m\.json: the model gives 100 more frames for 16000 more samples \(160\.0 samples per frame\), but manifest\.json says frameStride 320/,
    );
  });
});
