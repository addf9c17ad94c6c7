/**
 * CPU engine on onnxruntime-node: one session per model, created once and reused; each waveform of
 * a batch runs alone, unpadded. Loading checks the graph against the
 * manifest (names, ranks, classes, frame stride, finite output) with probes that are the warm-up.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { MAX_ENGINE_THREADS } from '../core/config/settings';
import type { PhraseLogits } from '../core/decode';
import { ModelCheckCode, ModelError } from '../core/errors';
import type { ModelFolder, ModelManifest } from '../core/model';
import { type Engine, type EngineDescription, EngineError, type Inference } from '../core/pipeline/engine';
import { splitLogits, verifyContext, verifyFrameStride } from './logits';

/** Options of the CPU engine. */
export interface CpuOnnxOptions {
  /** Intra-op threads of the session, 1–64 (default 1: Lambda parallelism comes from concurrency). */
  intraOpThreads?: number;
}

/**
 * The onnxruntime session options of the CPU engine (also the Triton stand-in's, so both paths run
 * the graph alike): sequential, all graph optimisations (the int8 model's QDQ pairs become
 * QLinearConv / QLinearAdd only then), no memory arena — without it a 600 s phrase peaks at ~450 MB
 * instead of ~700 MB (the arena grows in powers of two and keeps what it took).
 */
export function cpuSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: false,
    logSeverityLevel: 3,
  };
}

/** The CPU ONNX engine. Create with {@link CpuOnnxEngine.load}. */
export class CpuOnnxEngine implements Engine {
  readonly manifest: ModelManifest;
  private readonly session: ort.InferenceSession;
  private readonly threads: number;
  private readonly folder: ModelFolder;
  /** Milliseconds the load (session creation + warm-up) took. */
  readonly loadMs: number;
  /** Milliseconds of the last `session.run`. */
  private lastRunMs = 0;

  private constructor(folder: ModelFolder, session: ort.InferenceSession, threads: number, loadMs: number) {
    this.folder = folder;
    this.manifest = folder.manifest;
    this.session = session;
    this.threads = threads;
    this.loadMs = loadMs;
  }

  /**
   * Creates the session and checks the manifest against the graph: input and output names and
   * ranks, the class count, the frame stride (probes of 1 s and 2 s) and finite output. The probes
   * warm the session up.
   *
   * @example
   * const engine = await CpuOnnxEngine.load(readModelFolder('models/letters-ctc-1.7.3'));
   */
  static async load(folder: ModelFolder, options: CpuOnnxOptions = {}): Promise<CpuOnnxEngine> {
    const started = performance.now();
    const threads = options.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_ENGINE_THREADS) {
      throw new ModelError('bad-threads', 'intraOpThreads', `must be an integer from 1 to ${MAX_ENGINE_THREADS} (got ${threads})`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(folder.onnx, cpuSessionOptions(threads));
    } catch (error) {
      throw new ModelError('bad-model', folder.onnxPath, `onnxruntime cannot load the model: ${(error as Error).message}`);
    }
    const engine = new CpuOnnxEngine(folder, session, threads, 0);
    try {
      checkGraph(folder, session);
      await verifyFrameStride((samples) => engine.probe(samples), folder.manifest, join(folder.dir, 'manifest.json'));
      await verifyContext((batch) => engine.logits(batch), folder.manifest, join(folder.dir, 'manifest.json'));
    } catch (error) {
      await session.release();
      throw error;
    }
    return Object.assign(engine, { loadMs: performance.now() - started });
  }

  describe(): EngineDescription {
    return {
      kind: 'cpu-onnx',
      model: `${this.manifest.name}@${this.manifest.version}`,
      details: { intraOpThreads: this.threads, modelDir: this.folder.dir, onnxruntime: ort.env.versions.common ?? 'unknown' },
    };
  }

  async infer(batch: readonly Float32Array[]): Promise<Inference> {
    const logits = await this.logits(batch);
    return { logits, servedBy: 'cpu-onnx', modelMs: this.lastRunMs };
  }

  /**
   * Runs the session on each waveform alone (a `[1, samples]` tensor, no copy) and returns its
   * logits. One waveform at a time, not one padded batch: onnxruntime computes each row of a batch
   * alike, so only the frames within the receptive field of a padded row's end differ from what the
   * row gets alone, and the pipeline ends every window in enough audio or zeros that its own frames
   * lie outside that reach (core/pipeline/modelWindows.ts). Alone, no padding is computed and the
   * activations of one window, not of the whole batch, are live at a time (peak RSS of `batch
   * --concurrency 2` 473–504 → 304–309 MB, 2026-12-06). An empty waveform gets no frames.
   * `lastRunMs` is the sum of the runs.
   */
  async logits(batch: readonly Float32Array[]): Promise<PhraseLogits[]> {
    if (batch.length === 0) return [];
    if (batch.every((wave) => wave.length === 0)) throw new EngineError('empty-input', 'every waveform of the batch is empty');
    const { input: inName, output: outName } = this.manifest;
    const vocab = this.manifest.vocabulary.length;
    const out: PhraseLogits[] = [];
    let runMs = 0;
    for (const [i, wave] of batch.entries()) {
      if (wave.length === 0) {
        out.push({ data: new Float32Array(0), frames: 0, vocab });
        continue;
      }
      let output: ort.Tensor;
      try {
        const started = performance.now();
        const result = await this.session.run({ [inName.name]: new ort.Tensor('float32', wave, [1, wave.length]) });
        runMs += performance.now() - started;
        output = result[outName.name] as ort.Tensor;
      } catch (error) {
        throw new EngineError('inference-failed', `onnxruntime failed on waveform ${i} of ${batch.length} (${wave.length} samples): ${(error as Error).message}`, {
          cause: error,
        });
      }
      out.push(...splitLogits(output.data as Float32Array, output.dims, [wave], this.manifest));
    }
    this.lastRunMs = runMs;
    return out;
  }

  /**
   * Runs the model once on `samples` samples of a quiet tone and returns the output frame count,
   * after checking the output's shape, class count and values (the load's probes).
   */
  private async probe(samples: number): Promise<number> {
    const { manifest, folder } = this;
    const wave = Float32Array.from({ length: samples }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 440 * i) / manifest.sampleRate));
    let output: ort.Tensor;
    try {
      const result = await this.session.run({ [manifest.input.name]: new ort.Tensor('float32', wave, [1, samples]) });
      output = result[manifest.output.name] as ort.Tensor;
    } catch (error) {
      throw new ModelError('bad-model', folder.onnxPath, `onnxruntime cannot run the model on a ${samples}-sample probe: ${(error as Error).message}`);
    }
    const dims = output.dims;
    if (dims.length !== 3) throw new ModelError('graph-mismatch', folder.dir, `output "${manifest.output.name}" has shape [${dims.join(', ')}], expected [batch, frames, vocab]`);
    if (dims[2] !== manifest.vocabulary.length) {
      throw new ModelError('vocab-mismatch', folder.dir, `the model outputs ${dims[2]} classes but manifest.json lists ${manifest.vocabulary.length} vocabulary tokens`);
    }
    const data = output.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i] as number)) throw new ModelError(ModelCheckCode.NonFiniteOutput, folder.dir, `the model produced ${data[i]} on a ${samples}-sample probe`);
    }
    return dims[1] as number;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function checkGraph(folder: ModelFolder, session: ort.InferenceSession): void {
  const { input, output } = folder.manifest;
  if (!session.inputNames.includes(input.name)) {
    throw new ModelError('graph-mismatch', folder.dir, `manifest input "${input.name}" is not a graph input (graph has: ${session.inputNames.join(', ')})`);
  }
  if (!session.outputNames.includes(output.name)) {
    throw new ModelError('graph-mismatch', folder.dir, `manifest output "${output.name}" is not a graph output (graph has: ${session.outputNames.join(', ')})`);
  }
  const meta = session.outputMetadata?.find((m) => m.name === output.name);
  if (meta?.isTensor) {
    const last = meta.shape[meta.shape.length - 1];
    if (meta.shape.length !== 3) throw new ModelError('graph-mismatch', folder.dir, `output "${output.name}" has rank ${meta.shape.length}, expected [batch, frames, vocab]`);
    if (typeof last === 'number' && last !== folder.manifest.vocabulary.length) {
      throw new ModelError('vocab-mismatch', folder.dir, `the model outputs ${last} classes but manifest.json lists ${folder.manifest.vocabulary.length} vocabulary tokens`);
    }
  }
  const inMeta = session.inputMetadata?.find((m) => m.name === input.name);
  if (inMeta?.isTensor && inMeta.shape.length !== 2) {
    throw new ModelError('graph-mismatch', folder.dir, `input "${input.name}" has rank ${inMeta.shape.length}, expected [batch, samples]`);
  }
}
