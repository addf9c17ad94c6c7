import { BatchBuffers } from './logits';

describe('BatchBuffers', () => {
  it('pads each row with zeros even in a reused buffer that held other data', () => {
    const pool = new BatchBuffers();
    const first = pool.pad([Float32Array.from([9, 9, 9, 9, 9, 9])]);
    first.release();
    const second = pool.pad([Float32Array.from([1, 2]), Float32Array.from([3])]);
    expect(Array.from(second.data)).toEqual([1, 2, 3, 0]);
    expect(second.data.buffer).toBe(first.data.buffer); // reused, not reallocated
    second.release();
  });

  it('never hands a buffer in use to a second caller', () => {
    const pool = new BatchBuffers();
    const a = pool.pad([new Float32Array(8)]);
    const b = pool.pad([new Float32Array(8)]);
    expect(b.data.buffer).not.toBe(a.data.buffer);
    a.release();
    a.release(); // twice is harmless
    const c = pool.pad([new Float32Array(4)]);
    const d = pool.pad([new Float32Array(4)]);
    expect(c.data.buffer).toBe(a.data.buffer);
    expect(d.data.buffer).not.toBe(a.data.buffer);
  });
});
