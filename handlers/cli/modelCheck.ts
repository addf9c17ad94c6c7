/** `readscore model check <dir>`: load a model folder, check it against its manifest, time it. */
import { performance } from 'node:perf_hooks';
import { MAX_ENGINE_THREADS } from '../../core/config/settings';
import { ConfigError, ModelCheckCode, ModelError } from '../../core/errors';
import { loadDefaultCatalog } from '../../core/items';
import { mapVocabulary, readModelFolder } from '../../core/model';
import type { Int8Layer, Int8Report } from '../../core/model/int8Weights';
import { int8Report } from '../../core/model/int8Weights';
import { normalizeForModel } from '../../core/model/preprocess';
import { CpuOnnxEngine } from '../../engines/cpuOnnx';
import { printable } from './printable';

/** Runs the checks and prints a report; returns the exit code (errors propagate as typed errors). */
export async function checkModel(dir: string, threadsFlag?: string): Promise<number> {
  const threads = threadsFlag === undefined ? 1 : Number(threadsFlag);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_ENGINE_THREADS) {
    throw new ConfigError('bad-flag', '--threads', `expected an integer from 1 to ${MAX_ENGINE_THREADS}, got "${threadsFlag}"`);
  }
  const say = (line: string) => process.stdout.write(`${printable(line)}\n`);
  const folder = readModelFolder(dir);
  const m = folder.manifest;
  say(`model ${m.name}@${m.version} (${(folder.onnx.length / 1024 / 1024).toFixed(2)} MB) — sha256 ok`);
  say(
    `  input "${m.input.name}" [batch, samples] at ${m.sampleRate} Hz, output "${m.output.name}" [batch, frames, ${m.vocabulary.length}], stride ${m.frameStride} samples, normalisation ${m.normalization}`,
  );
  const mapped = mapVocabulary(m);
  const merged = mapped.tokens.flatMap((token, t) => {
    const from = (mapped.sources[t] as readonly number[]).map((v) => m.vocabulary[v]);
    return from.length > 1 || from[0] !== token ? [`${from.join(' ')} → ${token}`] : [];
  });
  say(
    m.tokenMap
      ? `  token map: ${m.vocabulary.length} model tokens → ${mapped.tokens.length} decoder tokens (${merged.join(', ') || 'no token renamed'})`
      : `  no token map: the decoder sees the model's ${m.vocabulary.length} tokens`,
  );
  const alphabet = new Set([...loadDefaultCatalog().alphabet, m.blank, m.separator]);
  const outside = mapped.tokens.filter((token) => !alphabet.has(token));
  if (outside.length) say(`  ${outside.length} decoder tokens outside the catalog alphabet, reported as unparsed when heard: ${outside.join(' ')}`);
  const engine = await CpuOnnxEngine.load(folder, { intraOpThreads: threads });
  try {
    say(`  loaded and warmed up in ${engine.loadMs.toFixed(0)} ms; graph matches the manifest (names, classes, frame stride)`);
    say(`  ${exactness(int8Report(folder.onnx, `${dir}/model.onnx`))}`);
    const second = m.sampleRate;
    const silence = new Float32Array(second);
    const tone = Float32Array.from({ length: second }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / m.sampleRate));
    for (const [name, wave] of [
      ['1 s of silence', silence],
      ['1 s 440 Hz tone', tone],
    ] as const) {
      const t = performance.now();
      const [logits] = await engine.logits([normalizeForModel(wave, m)]);
      const ms = performance.now() - t;
      if (!logits) throw new Error('no logits returned');
      let finite = true;
      for (const x of logits.data) if (!Number.isFinite(x)) finite = false;
      if (!finite) throw new ModelError(ModelCheckCode.NonFiniteOutput, dir, `${name}: the model produced NaN or Inf logits`);
      say(`  ${name}: ${logits.frames} frames × ${logits.vocab} classes, finite, ${ms.toFixed(1)} ms`);
    }
  } finally {
    await engine.close();
  }
  say('model check passed');
  return 0;
}

/** One line on whether the model's integer sums are the same on every CPU (core/model/int8Weights). */
export function exactness(report: Int8Report): string {
  const { layers, unchecked } = report;
  const others = unchecked.length ? `; integer ops not checked here, whose sums may depend on the CPU: ${unchecked.join(', ')}` : '';
  if (layers.length === 0) {
    return unchecked.length ? `no QDQ int8 convolution weights${others}` : 'no int8 weights: the same logits on every CPU, up to float rounding';
  }
  const count = (kind: Int8Layer['kind']) => layers.filter((l) => l.kind === kind).length;
  const kinds = `${count('int8')} int8, ${count('depthwise')} depthwise int8, ${count('uint8')} uint8`;
  if (!report.dependsOnCpu) return `int8 convolution weights (${kinds}), no weight pair over the AVX2 cap: integer sums exact on every CPU${others}`;
  const over = layers.filter((l) => l.overCap > 0);
  const overCap = over.reduce((n, l) => n + l.overCap, 0);
  const pairs = layers.reduce((n, l) => n + l.pairs, 0);
  return (
    `warning: int8 convolution weights (${kinds}) whose sums depend on the CPU: ${overCap} of ${pairs} weight pairs in ${over.length} layers ` +
    "can saturate AVX2's 16-bit pair sums, so x86 CPUs without VNNI give other logits (and can give other verdicts) than VNNI CPUs; " +
    `uint8 weights (tools/model/quantize.py) or pair-capped int8 weights (tools/model/pair_safe.py) are exact everywhere${others}`
  );
}
