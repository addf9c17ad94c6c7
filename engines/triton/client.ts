/**
 * A small promise client for Triton's `inference.GRPCInferenceService` over TLS: per-call deadlines,
 * retries with jittered exponential backoff on UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED
 * only, one channel reused for the life of the process.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReadScoreFault } from '../../core/errors';

/** Shape of a tensor in metadata (Triton uses -1 for a variable dimension). */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface InferOutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents?: { fp32_contents?: number[] } | null;
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string }[];
  raw_input_contents: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: InferOutputTensor[];
  raw_output_contents: Buffer[];
}

/** A cumulative duration of Triton's statistics extension. */
export interface StatisticDuration {
  count: number;
  ns: number;
}

/** Cumulative statistics of one model version (Triton's statistics extension, the parts ReadScore reads). */
export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch. */
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: {
    success: StatisticDuration;
    fail: StatisticDuration;
    queue: StatisticDuration;
    compute_input: StatisticDuration;
    compute_infer: StatisticDuration;
    compute_output: StatisticDuration;
  };
}

/** Status codes worth another attempt. */
export const RETRYABLE = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.DEADLINE_EXCEEDED]);

/** The proto definition, loaded once. */
export function inferenceService(): grpc.ServiceClientConstructor {
  serviceConstructor ??= (() => {
    const definition = protoLoader.loadSync(join(__dirname, 'inference.proto'), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
    return pkg.inference.GRPCInferenceService;
  })();
  return serviceConstructor;
}
let serviceConstructor: grpc.ServiceClientConstructor | undefined;

/** Protobuf key + length prefix of a length-delimited field. */
function fieldHeader(field: number, length: number): Buffer {
  const bytes = [(field << 3) | 2];
  let n = length;
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/**
 * Serialises a message whose big `bytes` field is appended by hand: protobuf decoders merge
 * concatenated encodings, and this skips protobufjs's slow copy of megabytes of tensor data
 * (38 ms for a 7 MB activity, measured; the concatenation takes about 1 ms).
 */
export function withRawField<T extends object>(serializeRest: (value: T) => Buffer, field: number, key: keyof T): (value: T) => Buffer {
  return (value) => {
    const raw = (value[key] as Buffer[] | undefined) ?? [];
    const parts = [serializeRest({ ...value, [key]: [] })];
    for (const chunk of raw) parts.push(fieldHeader(field, chunk.length), chunk);
    return Buffer.concat(parts);
  };
}

/**
 * Reused buffers for pre-serialised ModelInfer requests: a 60 s activity's request is 5 MB, and a
 * fresh buffer per call cost page faults and GC work (Buffer.concat was 5 ms of the client's
 * 16 ms per call, `--cpu-prof`). A buffer goes back when its call has settled, retries included.
 */
export class RequestBuffers {
  private readonly free: Buffer[] = [];

  /**
   * A message: `request` (without its raw contents) serialised, then one `raw_input_contents`
   * entry of `rawBytes` for the caller to fill from `rawAt`. Every byte of `message` is written
   * here or must be by the caller. `release` when the call has settled.
   */
  take(request: Omit<ModelInferRequest, 'raw_input_contents'>, rawBytes: number): { message: Buffer; rawAt: number; release(): void } {
    const serialize = (inferenceService().service.ModelInfer as grpc.MethodDefinition<ModelInferRequest, ModelInferResponse>).requestSerialize;
    const head = Buffer.concat([serialize({ ...request, raw_input_contents: [] }), fieldHeader(7, rawBytes)]);
    const total = head.length + rawBytes;
    const index = this.free.findIndex((b) => b.length >= total);
    const buffer = index >= 0 ? (this.free.splice(index, 1)[0] as Buffer) : Buffer.allocUnsafe(total);
    const message = buffer.subarray(0, total);
    head.copy(message, 0);
    let released = false;
    return {
      message,
      rawAt: head.length,
      release: () => {
        if (released) return;
        released = true;
        // A few: the concurrent calls of one process.
        if (this.free.length < 4) this.free.push(buffer);
      },
    };
  }
}

/** Channel options: keepalive only during calls (Triton's default server policy rejects idle pings), idle before an ALB's 60 s timeout. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.client_idle_timeout_ms': 50_000,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  // A 60 s activity is ~4–8 MB of FP32: a 64 KiB HTTP/2 window would cost dozens of round trips.
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

/** Retry policy of one logical call. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A failed call after its retries, with the gRPC status of the last attempt (code `call-failed`). */
export class TritonCallError extends ReadScoreFault {
  constructor(
    readonly method: string,
    readonly grpcCode: number,
    readonly attempts: number,
    details: string,
  ) {
    super('call-failed', `${method} failed after ${attempts} attempt(s): ${grpc.status[grpcCode] ?? grpcCode}: ${details}`);
  }
}

/** Promise wrapper over the generated client. */
export class TritonClient {
  private readonly client: grpc.Client;
  /** Attempts made by the last completed call (for tests and metrics). */
  lastAttempts = 0;

  constructor(
    target: string,
    credentials: grpc.ChannelCredentials,
    private readonly deadlineMs: number,
    private readonly retry: RetryPolicy,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    const Service = inferenceService();
    this.client = new Service(target, credentials, CHANNEL_OPTIONS);
  }

  /** Waits until the channel is connected, at most `deadlineMs` (a TritonCallError with DEADLINE_EXCEEDED after). */
  connect(deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(new Date(Date.now() + deadlineMs), (error) =>
        error ? reject(new TritonCallError('connect', grpc.status.DEADLINE_EXCEEDED, 1, `no connection within ${deadlineMs} ms: ${error.message}`)) : resolve(),
      ),
    );
  }

  serverReady(): Promise<{ ready: boolean }> {
    return this.call('ServerReady', {});
  }

  modelReady(name: string, version: string): Promise<{ ready: boolean }> {
    return this.call('ModelReady', { name, version });
  }

  modelMetadata(name: string, version: string): Promise<ModelMetadata> {
    return this.call('ModelMetadata', { name, version });
  }

  modelInfer(request: ModelInferRequest): Promise<ModelInferResponse> {
    return this.call('ModelInfer', request);
  }

  /** ModelInfer with a request already serialised ({@link RequestBuffers}): sent as is, no copy. */
  modelInferMessage(message: Buffer): Promise<ModelInferResponse> {
    return this.call('ModelInfer', message);
  }

  /** Cumulative statistics of a model version (Triton's statistics extension). */
  modelStatistics(name: string, version: string): Promise<{ model_stats: ModelStatistics[] }> {
    return this.call('ModelStatistics', { name, version });
  }

  private readonly inferSerialize = (() => {
    const method = inferenceService().service.ModelInfer as grpc.MethodDefinition<ModelInferRequest, ModelInferResponse>;
    const withRaw = withRawField(method.requestSerialize, 7, 'raw_input_contents');
    // A Buffer is a request serialised already (modelInferMessage).
    const serialize = (request: ModelInferRequest | Buffer) => (Buffer.isBuffer(request) ? request : withRaw(request));
    return { path: method.path, serialize, deserialize: method.responseDeserialize };
  })();

  close(): void {
    this.client.close();
  }

  /** One logical call: attempts with a deadline each, backoff between retryable failures. */
  private async call<T>(method: string, request: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.once<T>(method, request);
        this.lastAttempts = attempt;
        return result;
      } catch (error) {
        const e = error as grpc.ServiceError;
        const code = typeof e.code === 'number' ? e.code : grpc.status.UNKNOWN;
        if (!RETRYABLE.has(code) || attempt >= this.retry.attempts) {
          this.lastAttempts = attempt;
          throw new TritonCallError(method, code, attempt, e.details || e.message || 'unknown error');
        }
        const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await this.sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      }
    }
  }

  private once<T>(method: string, request: unknown): Promise<T> {
    const deadline = new Date(Date.now() + this.deadlineMs);
    if (method === 'ModelInfer') {
      const { path, serialize, deserialize } = this.inferSerialize;
      return new Promise<T>((resolve, reject) => {
        this.client.makeUnaryRequest(path, serialize, deserialize, request as ModelInferRequest | Buffer, new grpc.Metadata(), { deadline }, (error, response) =>
          error ? reject(error) : resolve(response as T),
        );
      });
    }
    const fn = (this.client as unknown as Record<string, (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: T) => void) => void>)[
      method
    ];
    if (!fn) throw new Error(`no such method ${method}`);
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, request, new grpc.Metadata(), { deadline }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }
}
