/**
 * The Triton GPU engine: one batched `ModelInfer` per activity over gRPC + TLS to a Triton fleet
 * serving the same ONNX model as the CPU engine. Preprocessing is the shared pipeline code, so both
 * engines see identical input. A circuit breaker guards the server; with `fallbackToCpu` the local
 * CPU engine answers while it is open, and the result's `engine` says so.
 */
import { randomUUID } from 'node:crypto';
import { endianness } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { PhraseLogits } from '../../core/decode';
import { ConfigError, ModelError } from '../../core/errors';
import type { ModelFolder, ModelManifest } from '../../core/model';
import { type Engine, type EngineDescription, EngineError, type Inference } from '../../core/pipeline/engine';
import { logitsProblem, splitLogits } from '../logits';
import { CircuitBreaker } from './breaker';
import { type ModelInferResponse, type ModelMetadata, type ModelStatistics, RequestBuffers, TritonCallError, TritonClient } from './client';
import type { TritonConfig } from './config';
import { checkCaBundle, readPemFile } from './pemFile';
import { probeTls } from './tlsProbe';

/** Reads a secret's text (the Lambda passes a Secrets Manager reader). */
export interface SecretReader {
  read(secretId: string): Promise<string>;
}

/** Everything the Triton engine needs besides its config. */
export interface TritonEngineOptions {
  readonly config: TritonConfig;
  /** The local model folder: its manifest names the served model; its ONNX backs the fallback. */
  readonly model: ModelFolder;
  /** The engine to use while the breaker is open (required when config.fallbackToCpu). */
  readonly fallback?: Engine;
  readonly secrets?: SecretReader;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Counters exposed for metrics and tests. */
export interface TritonStats {
  calls: number;
  failures: number;
  fallbacks: number;
  retries: number;
}

/** The CA bundle, read (a file: regular and bounded) and checked to hold at least one certificate. */
async function caPem(config: TritonConfig, secrets?: SecretReader): Promise<Buffer> {
  const ca = config.ca;
  let pem: Buffer;
  let source: string;
  if ('pem' in ca) [pem, source] = [Buffer.from(ca.pem), 'triton.ca'];
  else if ('file' in ca) [pem, source] = [readPemFile(ca.file, 'CA bundle', 'bad-ca'), ca.file];
  else {
    if (!secrets) throw new ConfigError('bad-ca', ca.secret, 'the CA bundle is in Secrets Manager but no secret reader was configured');
    [pem, source] = [Buffer.from(await secrets.read(ca.secret)), ca.secret];
  }
  checkCaBundle(pem, source);
  return pem;
}

/** `host:port` of the channel target → the port (443 when the URL gave none; parseTritonUrl adds it). */
function portOf(target: string): number {
  return Number(target.slice(target.lastIndexOf(':') + 1));
}

/** Checks that the served model matches the local manifest; returns a list of mismatches. */
export function metadataMismatches(meta: ModelMetadata, manifest: ModelManifest): string[] {
  const problems: string[] = [];
  const input = meta.inputs.find((t) => t.name === manifest.input.name);
  const output = meta.outputs.find((t) => t.name === manifest.output.name);
  if (!input) problems.push(`no input "${manifest.input.name}" (served: ${meta.inputs.map((t) => t.name).join(', ') || 'none'})`);
  else {
    if (input.datatype !== 'FP32') problems.push(`input "${input.name}" is ${input.datatype}, expected FP32`);
    if (input.shape.length !== 2) problems.push(`input "${input.name}" has shape [${input.shape}], expected [batch, samples]`);
  }
  if (!output) problems.push(`no output "${manifest.output.name}" (served: ${meta.outputs.map((t) => t.name).join(', ') || 'none'})`);
  else {
    if (output.datatype !== 'FP32') problems.push(`output "${output.name}" is ${output.datatype}, expected FP32`);
    const classes = output.shape[output.shape.length - 1];
    if (output.shape.length !== 3) problems.push(`output "${output.name}" has shape [${output.shape}], expected [batch, frames, vocab]`);
    else if (classes !== -1 && classes !== manifest.vocabulary.length) {
      problems.push(`output "${output.name}" has ${classes} classes but the manifest lists ${manifest.vocabulary.length} vocabulary tokens`);
    }
  }
  return problems;
}

/** Decodes the logits tensor of a response, checking its type, shape and byte length. */
export function logitsFromResponse(response: ModelInferResponse, manifest: ModelManifest, batchSize: number): { data: Float32Array; dims: number[] } {
  const index = response.outputs.findIndex((o) => o.name === manifest.output.name);
  const tensor = response.outputs[index];
  if (!tensor) throw new EngineError('malformed-response', `Triton response has no output "${manifest.output.name}"`);
  if (tensor.datatype !== 'FP32') throw new EngineError('malformed-response', `output "${tensor.name}" is ${tensor.datatype}, expected FP32`);
  const dims = tensor.shape.map(Number);
  if (dims.length !== 3 || dims[0] !== batchSize || dims[2] !== manifest.vocabulary.length) {
    throw new EngineError('malformed-response', `output "${tensor.name}" has shape [${dims}], expected [${batchSize}, frames, ${manifest.vocabulary.length}]`);
  }
  const expected = dims.reduce((a, b) => a * b, 1);
  const raw = response.raw_output_contents[index];
  if (raw && raw.length > 0) {
    if (raw.length !== expected * 4)
      throw new EngineError('malformed-response', `output "${tensor.name}" holds ${raw.length} bytes; shape [${dims}] of FP32 needs ${expected * 4}`);
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return { data: new Float32Array(copy.buffer), dims };
  }
  const values = tensor.contents?.fp32_contents ?? [];
  if (values.length !== expected) throw new EngineError('malformed-response', `output "${tensor.name}" holds ${values.length} values; shape [${dims}] needs ${expected}`);
  return { data: Float32Array.from(values), dims };
}

/** The Triton engine. Create with {@link TritonEngine.load}. */
export class TritonEngine implements Engine {
  readonly manifest: ModelManifest;
  readonly stats: TritonStats = { calls: 0, failures: 0, fallbacks: 0, retries: 0 };
  private readonly breaker: CircuitBreaker;
  private readonly requests = new RequestBuffers();
  private readonly modelVersion: string;

  private constructor(
    private readonly config: TritonConfig,
    private readonly client: TritonClient,
    model: ModelFolder,
    private readonly fallback: Engine | undefined,
    now: () => number,
  ) {
    this.manifest = model.manifest;
    this.modelVersion = String(model.manifest.servingVersion ?? 1);
    this.breaker = new CircuitBreaker(config.breaker.failureThreshold, config.breaker.resetAfterMs, now);
  }

  /**
   * Connects over TLS and checks server readiness, model readiness and model metadata against the
   * local manifest before accepting work.
   */
  static async load(options: TritonEngineOptions): Promise<TritonEngine> {
    const { config, model } = options;
    if (endianness() !== 'LE') throw new EngineError('unsupported-host', 'raw tensor contents are little-endian; this host is big-endian');
    if (config.fallbackToCpu && !options.fallback) throw new ConfigError('bad-triton-config', 'triton.fallbackToCpu', 'fallback to the CPU engine needs a CPU engine');
    const ca = await caPem(config, options.secrets);
    const key = config.clientCert ? readPemFile(config.clientCert.keyFile, 'client key', 'bad-client-cert') : undefined;
    const cert = config.clientCert ? readPemFile(config.clientCert.certFile, 'client certificate', 'bad-client-cert') : undefined;
    // Every wait has a deadline: the TLS handshake here, the channel's connection and each call below.
    await probeTls({ host: config.host, port: portOf(config.target), url: config.url }, { ca, ...(key && cert ? { key, cert } : {}) }, config.deadlineMs);
    const credentials = key && cert ? grpc.credentials.createSsl(ca, key, cert) : grpc.credentials.createSsl(ca);
    const client = new TritonClient(config.target, credentials, config.deadlineMs, config.retry, options.sleep);
    const engine = new TritonEngine(config, client, model, options.fallback, options.now ?? Date.now);
    try {
      await engine.checkServer();
    } catch (error) {
      client.close();
      throw error;
    }
    return engine;
  }

  private async checkServer(): Promise<void> {
    const { name } = this.manifest;
    const where = `Triton at ${this.config.url}`;
    const reach = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (error instanceof TritonCallError) throw new EngineError('unavailable', `${where}: ${what}: ${error.message}`, { cause: error });
        throw error;
      }
    };
    await reach('connection', () => this.client.connect(this.config.deadlineMs));
    if (!(await reach('server readiness', () => this.client.serverReady())).ready) throw new EngineError('server-not-ready', `${where} is not ready`);
    if (!(await reach('model readiness', () => this.client.modelReady(name, this.modelVersion))).ready) {
      throw new EngineError('model-not-ready', `${where}: model ${name} version ${this.modelVersion} is not ready`);
    }
    const meta = await reach('model metadata', () => this.client.modelMetadata(name, this.modelVersion));
    const problems = metadataMismatches(meta, this.manifest);
    if (problems.length) throw new ModelError('metadata-mismatch', `${this.config.url} model ${name}`, `served model does not match the manifest: ${problems.join('; ')}`);
  }

  /**
   * The server's cumulative statistics for the served model version (Triton's statistics
   * extension): request count and nanoseconds per stage, compute_infer being the model's own
   * time. How bench:engines tells the server's model time from the path's overhead.
   */
  async serverStatistics(): Promise<ModelStatistics> {
    const { model_stats: stats } = await this.client.modelStatistics(this.manifest.name, this.modelVersion);
    const own = stats.find((s) => s.name === this.manifest.name && s.version === this.modelVersion);
    if (!own) throw new EngineError('bad-output', `Triton at ${this.config.url} returned no statistics for ${this.manifest.name} version ${this.modelVersion}`);
    return own;
  }

  describe(): EngineDescription {
    return {
      kind: 'triton',
      model: `${this.manifest.name}@${this.manifest.version}`,
      details: { url: this.config.url, servingVersion: this.modelVersion, breaker: this.breaker.state, fallbackToCpu: this.config.fallbackToCpu, ...this.stats },
    };
  }

  async infer(batch: readonly Float32Array[]): Promise<Inference> {
    if (!this.breaker.tryPass()) return this.viaFallback(batch, new EngineError('breaker-open', `circuit breaker open for ${this.config.url}`));
    try {
      const started = performance.now();
      const logits = await this.remote(batch);
      const modelMs = performance.now() - started;
      const problem = this.firstProblem(logits, batch);
      if (problem && this.config.fallbackToCpu && this.fallback) {
        // The server answered, but with logits nobody can decode (NaN, Inf, a wrong shape): the
        // same audio on the CPU engine gives real verdicts. Counted as a failure for the breaker.
        this.stats.failures++;
        this.breaker.onFailure();
        return this.viaFallback(batch, new EngineError('bad-output', `Triton at ${this.config.url} returned ${problem}`));
      }
      // Without a fallback the pipeline's own check leaves just the phrases concerned unscored.
      this.breaker.onSuccess();
      return { logits, servedBy: 'triton', modelMs };
    } catch (error) {
      this.stats.failures++;
      this.breaker.onFailure();
      const failure = error instanceof TritonCallError ? new EngineError('unavailable', `Triton at ${this.config.url}: ${error.message}`, { cause: error }) : error;
      if (this.breaker.state !== 'closed') return this.viaFallback(batch, failure);
      throw failure;
    }
  }

  /** The first waveform whose logits cannot be decoded, described, or undefined when all can. */
  private firstProblem(logits: readonly PhraseLogits[], batch: readonly Float32Array[]): string | undefined {
    for (let i = 0; i < batch.length; i++) {
      const problem = logitsProblem(logits[i], (batch[i] as Float32Array).length, this.manifest);
      if (problem) return `${problem} for waveform ${i} of ${batch.length}`;
    }
    return undefined;
  }

  private async viaFallback(batch: readonly Float32Array[], reason: unknown): Promise<Inference> {
    if (!this.config.fallbackToCpu || !this.fallback) throw reason;
    this.stats.fallbacks++;
    const result = await this.fallback.infer(batch);
    return { logits: result.logits, servedBy: `${result.servedBy} (triton fallback)` };
  }

  /** Sends the batch in chunks of at most maxBatchSize (one call for a normal activity). */
  private async remote(batch: readonly Float32Array[]): Promise<PhraseLogits[]> {
    const out: PhraseLogits[] = [];
    for (let start = 0; start < batch.length; start += this.config.maxBatchSize) {
      const chunk = batch.slice(start, start + this.config.maxBatchSize);
      const longest = Math.max(0, ...chunk.map((w) => w.length));
      if (longest === 0) throw new EngineError('empty-input', 'every waveform of the batch is empty');
      // The `[batch, longest]` zero-padded tensor is written straight into the serialised request.
      const request = this.requests.take(
        {
          model_name: this.manifest.name,
          model_version: this.modelVersion,
          id: randomUUID(),
          inputs: [{ name: this.manifest.input.name, datatype: 'FP32', shape: [chunk.length, longest] }],
          outputs: [{ name: this.manifest.output.name }],
        },
        chunk.length * longest * 4,
      );
      let response: ModelInferResponse;
      try {
        const { message, rawAt } = request;
        chunk.forEach((wave, i) => {
          const at = rawAt + i * longest * 4;
          message.set(new Uint8Array(wave.buffer, wave.byteOffset, wave.byteLength), at);
          message.fill(0, at + wave.byteLength, at + longest * 4);
        });
        this.stats.calls++;
        response = await this.client.modelInferMessage(message);
      } finally {
        request.release();
      }
      this.stats.retries += this.client.lastAttempts - 1;
      const logits = logitsFromResponse(response, this.manifest, chunk.length);
      out.push(...splitLogits(logits.data, logits.dims, chunk, this.manifest));
    }
    return out;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.fallback?.close();
  }
}
