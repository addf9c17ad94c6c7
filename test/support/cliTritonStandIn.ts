/**
 * A TLS Triton stand-in serving a model folder through onnxruntime, for tests that run the CLI with
 * `--engine triton`: its URL and a CA file to pass as `--ca`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFolder } from '../../core/model';
import { createTestCa } from '../../tools/triton/pki';
import { onnxLogits, startStandIn } from '../../tools/triton/standIn';

export interface CliTritonStandIn {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The CA certificate that signed the stand-in's, as a file. */
  readonly caFile: string;
  close(): Promise<void>;
}

export async function startCliTritonStandIn(modelDir: string): Promise<CliTritonStandIn> {
  const folder = readModelFolder(modelDir);
  const ca = createTestCa();
  const onnx = await onnxLogits(folder);
  const server = await startStandIn({ model: folder, logits: onnx.fn, tls: ca.server(['127.0.0.1']) });
  const caFile = join(mkdtempSync(join(tmpdir(), 'readscore-triton-ca-')), 'ca.pem');
  writeFileSync(caFile, ca.caPem);
  return {
    url: `https://127.0.0.1:${server.port}`,
    port: server.port,
    caFile,
    close: async () => {
      await server.close();
      await onnx.release();
    },
  };
}
