/**
 * End to end on the bundled model: every example activity is scored from its WAV files and each
 * item's judgement is compared with expected.json. The only misjudgements allowed are the ones
 * listed in known-misses.json (made by tools/examples/misses.ts for this exact model, and matching
 * the model's EVAL.md figures) — no blanket tolerance: a new miss or a fixed one fails the test.
 * The same examples are then scored through the Triton engine (TLS stand-in, onnxruntime behind
 * it) and must give identical verdicts.
 */

import { readScoreConfig } from '../../core/config';
import { readModelFolder } from '../../core/model';
import type { Engine } from '../../core/pipeline/engine';
import type { Scorer } from '../../core/pipeline/scorer';
import { silentLogger } from '../../core/ports';
import type { ActivityResult } from '../../core/scoring/types';
import { createEngine, resolveModelDir } from '../../engines/factory';
import { parseTritonConfig } from '../../engines/triton/config';
import { TritonEngine } from '../../engines/triton/tritonEngine';
import { localScorer } from '../../handlers/cli/run';
import { createTestCa } from '../../tools/triton/pki';
import { onnxLogits, startStandIn } from '../../tools/triton/standIn';
import { exampleNames, int8Kernels, type KnownMisses, knownMissesHere, type Miss, scoreExample } from './examples';
import knownFile from './known-misses.json';

const known = knownFile as KnownMisses;

const key = (m: Miss) => `${m.example} phrase ${m.phraseIndex} #${m.position} ${m.item}: expected ${m.expected}, got ${m.actual}`;

describe('example activities on the bundled model', () => {
  // The CLI's defaults; ALIGNER_FORCE_TS=1 (CI's second run) puts the whole suite on the TS aligner.
  const config = readScoreConfig({ from: 'flags', flags: {}, env: process.env });
  let cpu: Engine;
  let scorer: Scorer;
  const results = new Map<string, ActivityResult>();
  beforeAll(async () => {
    cpu = await createEngine({ kind: 'cpu' });
    scorer = await localScorer(config, { engine: cpu, logger: silentLogger });
  });
  afterAll(() => cpu.close());

  it('lists at least 8 examples and known misses for this exact model', () => {
    expect(exampleNames().length).toBeGreaterThanOrEqual(8);
    expect(known.sha256).toBe(cpu.manifest.sha256);
  });

  it('judges every example item as expected.json says, apart from the listed known misses', async () => {
    const misses: Miss[] = [];
    let items = 0;
    for (const name of exampleNames()) {
      const scored = await scoreExample(name, scorer);
      results.set(name, scored.result);
      expect(scored.result.status).toBe('scored');
      items += scored.result.totals.items;
      misses.push(...scored.misses);
    }
    expect(items).toBe(known.items);
    expect(misses.map(key).sort()).toEqual(knownMissesHere(known, int8Kernels()).map(key).sort());
  }, 120_000); // a hang guard, not a timing check: ten activities on a loaded 2-core machine

  it('gives identical verdicts through the Triton engine over TLS', async () => {
    const model = readModelFolder(resolveModelDir());
    const ca = createTestCa();
    const onnx = await onnxLogits(model);
    const server = await startStandIn({ model, logits: onnx.fn, tls: ca.server(['127.0.0.1']) });
    const triton = await TritonEngine.load({ config: parseTritonConfig({ url: `https://127.0.0.1:${server.port}`, ca: { pem: ca.caPem } }), model });
    const viaTritonScorer = await localScorer(config, { engine: triton, logger: silentLogger });
    try {
      for (const name of exampleNames()) {
        const viaTriton = (await scoreExample(name, viaTritonScorer)).result;
        const viaCpu = results.get(name) ?? (await scoreExample(name, scorer)).result;
        expect(viaTriton.engine).toBe('triton');
        expect(viaTriton.phrases).toEqual(viaCpu.phrases);
      }
    } finally {
      await triton.close();
      await server.close();
      await onnx.release();
    }
  }, 120_000);
});
