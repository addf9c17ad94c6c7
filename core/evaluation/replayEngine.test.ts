import type { ModelManifest } from '../model';
import type { Engine } from '../pipeline/engine';
import { replayEngine } from './replayEngine';

/** An engine whose logits are the waveform itself (one frame per sample, vocab 1), counting its calls. */
function echoEngine(): Engine & { calls: number; closed: boolean } {
  const engine = {
    calls: 0,
    closed: false,
    manifest: { name: 'echo', version: '1' } as ModelManifest,
    describe: () => ({ kind: 'echo', model: 'echo@1', details: {} }),
    async infer(batch: readonly Float32Array[]) {
      engine.calls++;
      return { logits: batch.map((w) => ({ data: Float32Array.from(w), frames: w.length, vocab: 1 })), servedBy: 'echo', modelMs: 5 };
    },
    async close() {
      engine.closed = true;
    },
  };
  return engine;
}

describe('replayEngine', () => {
  it('runs a batch once and answers the same batch again from memory', async () => {
    const inner = echoEngine();
    const engine = replayEngine(inner);
    const batch = [Float32Array.of(1, 2, 3), Float32Array.of(4)];
    const first = await engine.infer(batch);
    const again = await engine.infer([Float32Array.of(1, 2, 3), Float32Array.of(4)]);
    expect(inner.calls).toBe(1);
    expect(again.logits).toEqual(first.logits);
    expect(again.servedBy).toBe('echo');
    expect(again.modelMs).toBe(0);
    expect(engine.stats).toEqual({ runs: 1, replays: 1 });
    expect(engine.manifest).toBe(inner.manifest);
    expect(engine.describe().kind).toBe('echo');
  });

  it('runs the model for a batch that differs in any sample, in order or in how it is split', async () => {
    const inner = echoEngine();
    const engine = replayEngine(inner);
    await engine.infer([Float32Array.of(1, 2), Float32Array.of(3)]);
    await engine.infer([Float32Array.of(1, 2), Float32Array.of(4)]);
    await engine.infer([Float32Array.of(3), Float32Array.of(1, 2)]);
    await engine.infer([Float32Array.of(1), Float32Array.of(2, 3)]);
    expect(inner.calls).toBe(4);
  });

  it('keeps what it replays safe from callers that change their logits', async () => {
    const engine = replayEngine(echoEngine());
    const first = await engine.infer([Float32Array.of(1, 2)]);
    (first.logits[0]?.data as Float32Array).fill(9);
    const second = await engine.infer([Float32Array.of(1, 2)]);
    (second.logits[0]?.data as Float32Array).fill(7);
    expect(Array.from((await engine.infer([Float32Array.of(1, 2)])).logits[0]?.data ?? [])).toEqual([1, 2]);
  });

  it('forgets on request, and closing it leaves the wrapped engine open', async () => {
    const inner = echoEngine();
    const engine = replayEngine(inner);
    await engine.infer([Float32Array.of(1)]);
    engine.forget();
    await engine.infer([Float32Array.of(1)]);
    expect(inner.calls).toBe(2);
    await engine.close();
    expect(inner.closed).toBe(false);
  });
});
