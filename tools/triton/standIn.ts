/**
 * A local stand-in for Triton: the same `inference.GRPCInferenceService` over TLS, answering with
 * the real ONNX model through onnxruntime (or with chosen logits), plus switches to inject faults.
 * Used by the tests and by `npm run triton:dev`; not a production server.
 */
import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import type { ModelFolder } from '../../core/model';
import { cpuSessionOptions } from '../../engines/cpuOnnx';
import {
  inferenceService,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadata,
  type ModelStatistics,
  type StatisticDuration,
  withRawField,
} from '../../engines/triton/client';

/** Computes `[batch, frames, vocab]` logits for a `[batch, samples]` input. */
export type LogitsFn = (input: Float32Array, shape: [number, number]) => Promise<{ data: Float32Array; dims: number[] }>;

/** Faults and states a test can switch at any time. */
export interface StandInBehaviour {
  serverReady: boolean;
  modelReady: boolean;
  /** Replaces the metadata the server reports. */
  metadata?: (real: ModelMetadata) => ModelMetadata;
  /** Status codes returned by the next ModelInfer calls, in order (one per call). */
  inferFailures: grpc.status[];
  /** Delay before answering ModelInfer, ms. */
  inferDelayMs: number;
  /** Drops this many bytes from the raw output (a malformed response). */
  truncateOutputBytes: number;
}

/** A running stand-in. */
export interface StandInServer {
  readonly port: number;
  readonly behaviour: StandInBehaviour;
  /** ModelInfer requests received (after faults), newest last. */
  readonly requests: ModelInferRequest[];
  close(): Promise<void>;
}

/** HTTP/2 receive window of the stand-in's sessions and streams (the client's is the same, CHANNEL_OPTIONS). */
export const STAND_IN_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * grpc-js servers ignore `grpc-node.flow_control_window` (only its client applies it), so a 5 MB
 * request crawls through a 64 KiB window: WINDOW_UPDATE round trips cost ~7 ms of a 60 s activity
 * (bench:engines). Triton's C++ server sizes its windows dynamically; so does this, by widening the
 * window of every session as it opens. grpc-js does not expose its HTTP/2 servers: they are read
 * from its private `http2Servers` map, and a grpc-js without it leaves the default window.
 */
function widenReceiveWindows(server: grpc.Server): void {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2SecureServer, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const h2 of servers.keys()) {
    h2.on('session', (session: http2.ServerHttp2Session) => {
      session.settings({ initialWindowSize: STAND_IN_WINDOW_BYTES });
      session.setLocalWindowSize(STAND_IN_WINDOW_BYTES);
    });
  }
}

/** Logits from the real ONNX model through onnxruntime. */
export async function onnxLogits(model: ModelFolder): Promise<{ fn: LogitsFn; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(model.onnx, cpuSessionOptions(1));
  const fn: LogitsFn = async (input, shape) => {
    const out = await session.run({ [model.manifest.input.name]: new ort.Tensor('float32', input, shape) });
    const tensor = out[model.manifest.output.name] as ort.Tensor;
    return { data: tensor.data as Float32Array, dims: [...tensor.dims] };
  };
  return { fn, release: () => session.release() };
}

/**
 * Starts the stand-in on 127.0.0.1 (port 0 = any free port) with the given TLS identity; with
 * `clientCa` it requires client certificates signed by it.
 */
export async function startStandIn(options: {
  model: ModelFolder;
  logits: LogitsFn;
  tls: { cert: string; key: string; clientCa?: string };
  port?: number;
  host?: string;
}): Promise<StandInServer> {
  const { manifest } = options.model;
  const version = String(manifest.servingVersion ?? 1);
  const behaviour: StandInBehaviour = { serverReady: true, modelReady: true, inferFailures: [], inferDelayMs: 0, truncateOutputBytes: 0 };
  const requests: ModelInferRequest[] = [];
  const realMetadata: ModelMetadata = {
    name: manifest.name,
    versions: [version],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: manifest.input.name, datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: manifest.output.name, datatype: 'FP32', shape: [-1, -1, manifest.vocabulary.length] }],
  };
  const known = (name: string, v: string) => name === manifest.name && (v === '' || v === version);
  // The statistics extension, as Triton keeps it: cumulative counts and nanoseconds per stage.
  const duration = (): StatisticDuration => ({ count: 0, ns: 0 });
  const stats = { success: duration(), fail: duration(), queue: duration(), compute_input: duration(), compute_infer: duration(), compute_output: duration() };
  let counts = { inference: 0, execution: 0, last: 0 };
  const add = (d: StatisticDuration, from: bigint) => {
    d.count++;
    d.ns += Number(process.hrtime.bigint() - from);
  };
  const fail = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });
  type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
    'grpc-node.flow_control_window': 16 * 1024 * 1024,
  });
  const service = inferenceService().service;
  const infer = service.ModelInfer as grpc.MethodDefinition<ModelInferRequest, ModelInferResponse>;
  // Same fast path for the big raw output as the client uses for its input.
  const fastService = { ...service, ModelInfer: { ...infer, responseSerialize: withRawField(infer.responseSerialize, 6, 'raw_output_contents') } };
  server.addService(fastService, {
    ServerLive: (_: unknown, cb: Callback<object>) => cb(null, { live: true }),
    ServerReady: (_: unknown, cb: Callback<object>) => cb(null, { ready: behaviour.serverReady }),
    ModelReady: (call: grpc.ServerUnaryCall<{ name: string; version: string }, object>, cb: Callback<object>) =>
      cb(null, { ready: behaviour.modelReady && known(call.request.name, call.request.version) }),
    ModelMetadata: (call: grpc.ServerUnaryCall<{ name: string; version: string }, object>, cb: Callback<object>) => {
      if (!known(call.request.name, call.request.version))
        return cb(fail(grpc.status.NOT_FOUND, `unknown model ${call.request.name} version ${call.request.version}`) as grpc.ServiceError);
      cb(null, behaviour.metadata ? behaviour.metadata(realMetadata) : realMetadata);
    },
    ModelStatistics: (call: grpc.ServerUnaryCall<{ name: string; version: string }, object>, cb: Callback<{ model_stats: ModelStatistics[] }>) => {
      if (!known(call.request.name, call.request.version))
        return cb(fail(grpc.status.NOT_FOUND, `unknown model ${call.request.name} version ${call.request.version}`) as grpc.ServiceError);
      cb(null, {
        model_stats: [
          {
            name: manifest.name,
            version,
            last_inference: counts.last,
            inference_count: counts.inference,
            execution_count: counts.execution,
            inference_stats: structuredClone(stats),
          },
        ],
      });
    },
    ModelInfer: async (call: grpc.ServerUnaryCall<ModelInferRequest, ModelInferResponse>, cb: Callback<ModelInferResponse>) => {
      const started = process.hrtime.bigint();
      try {
        if (behaviour.inferDelayMs) await new Promise((r) => setTimeout(r, behaviour.inferDelayMs));
        const injected = behaviour.inferFailures.shift();
        if (injected !== undefined) return cb(fail(injected, `injected ${grpc.status[injected]}`) as grpc.ServiceError);
        const req = call.request;
        requests.push(req);
        if (!known(req.model_name, req.model_version)) return cb(fail(grpc.status.NOT_FOUND, `unknown model ${req.model_name} version ${req.model_version}`) as grpc.ServiceError);
        const input = req.inputs[0];
        const raw = req.raw_input_contents[0];
        if (!input || !raw || input.datatype !== 'FP32' || input.shape.length !== 2)
          return cb(fail(grpc.status.INVALID_ARGUMENT, 'expected one FP32 [batch, samples] input') as grpc.ServiceError);
        const shape = input.shape.map(Number) as [number, number];
        if (raw.length !== shape[0] * shape[1] * 4)
          return cb(fail(grpc.status.INVALID_ARGUMENT, `input holds ${raw.length} bytes, shape needs ${shape[0] * shape[1] * 4}`) as grpc.ServiceError);
        let t = process.hrtime.bigint();
        const copy = new Uint8Array(raw.length);
        copy.set(raw);
        add(stats.compute_input, t);
        t = process.hrtime.bigint();
        const { data, dims } = await options.logits(new Float32Array(copy.buffer), shape);
        add(stats.compute_infer, t);
        t = process.hrtime.bigint();
        let bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        if (behaviour.truncateOutputBytes) bytes = bytes.subarray(0, bytes.length - behaviour.truncateOutputBytes);
        add(stats.compute_output, t);
        counts = { inference: counts.inference + shape[0], execution: counts.execution + 1, last: Date.now() };
        add(stats.success, started);
        cb(null, {
          model_name: manifest.name,
          model_version: version,
          id: req.id,
          outputs: [{ name: manifest.output.name, datatype: 'FP32', shape: dims }],
          raw_output_contents: [bytes],
        });
      } catch (error) {
        add(stats.fail, started);
        cb(fail(grpc.status.INTERNAL, String(error)) as grpc.ServiceError);
      }
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(
    options.tls.clientCa ? Buffer.from(options.tls.clientCa) : null,
    [{ cert_chain: Buffer.from(options.tls.cert), private_key: Buffer.from(options.tls.key) }],
    Boolean(options.tls.clientCa),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host ?? '127.0.0.1'}:${options.port ?? 0}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  widenReceiveWindows(server);
  return {
    port,
    behaviour,
    requests,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
