import { ModelError } from '../core/errors';
import { BatchBuffers, logitsProblem, verifyFrameStride } from './logits';

describe('BatchBuffers', () => {
  it('pads each row with zeros even in a reused buffer that held other data', () => {
    const pool = new BatchBuffers();
    const first = pool.pad([Float32Array.from([9, 9, 9]), Float32Array.from([9, 9, 9])]);
    first.release();
    const second = pool.pad([Float32Array.from([1, 2]), Float32Array.from([3])]);
    expect(Array.from(second.data)).toEqual([1, 2, 3, 0]);
    expect(second.data.buffer).toBe(first.data.buffer); // reused, not reallocated
    second.release();
  });

  it('never hands a buffer in use to a second caller', () => {
    const pool = new BatchBuffers();
    const two = (n: number) => [new Float32Array(n), new Float32Array(n)];
    const a = pool.pad(two(4));
    const b = pool.pad(two(4));
    expect(b.data.buffer).not.toBe(a.data.buffer);
    a.release();
    a.release(); // twice is harmless
    const c = pool.pad(two(2));
    const d = pool.pad(two(2));
    expect(c.data.buffer).toBe(a.data.buffer);
    expect(d.data.buffer).not.toBe(a.data.buffer);
  });

  it('uses a batch of one waveform as it is, without a copy', () => {
    const wave = Float32Array.from([1, 2, 3]);
    const padded = new BatchBuffers().pad([wave]);
    expect(padded.data).toBe(wave);
    expect(padded.longest).toBe(3);
  });
});

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
