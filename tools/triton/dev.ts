/**
 * `npm run triton:dev`: a local stand-in for a Triton server, for trying the Triton engine without a
 * GPU. It serves the model folder through onnxruntime over TLS on 127.0.0.1, with a fresh CA whose
 * certificate it writes to `<out>/ca.pem`. Options: --port N (default 8443), --model DIR (default:
 * the bundled model), --out DIR (default .triton-dev). Stop with Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelFolder } from '../../core/model';
import { resolveModelDir } from '../../engines/factory';
import { createTestCa } from './pki';
import { onnxLogits, startStandIn } from './standIn';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8443' }, model: { type: 'string' }, out: { type: 'string', default: '.triton-dev' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number, got "${values.port}"`);
  const model = readModelFolder(resolveModelDir(values.model));
  const ca = createTestCa('ReadScore triton:dev CA', 7);
  const tls = ca.server(['127.0.0.1', 'localhost']);
  mkdirSync(values.out as string, { recursive: true });
  const caPath = join(values.out as string, 'ca.pem');
  writeFileSync(caPath, ca.caPem);
  const onnx = await onnxLogits(model);
  const server = await startStandIn({ model, logits: onnx.fn, tls, port });
  const rel = relative(process.cwd(), caPath);
  process.stdout.write(
    `Triton stand-in serving ${model.manifest.name}@${model.manifest.version} (version ${model.manifest.servingVersion ?? 1}) at https://127.0.0.1:${server.port}\n` +
      `CA certificate: ${rel}\n` +
      `Try: npm run -s readscore -- score --engine triton --triton-url https://127.0.0.1:${server.port} --ca ${rel} examples\n` +
      'Ctrl-C to stop.\n',
  );
  const stop = async () => {
    await server.close();
    await onnx.release();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`triton:dev: ${error.message ?? error}\n`);
  process.exitCode = 1;
});
