/**
 * Hostile Triton servers and TLS material (classes 5 and 6): a server that accepts TCP but never
 * completes TLS, a plaintext port, `--ca /dev/zero` or a FIFO, a CA bundle with no certificate, an
 * untrusted CA, a certificate for another host, an expired certificate. Each is refused within its
 * deadline with one line naming the setting, exit 2 — and the CLI process always exits.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors';
import { type ModelFolder, readModelFolder } from '../../core/model';
import { EngineError } from '../../core/pipeline/engine';
import { parseTritonConfig } from '../../engines/triton/config';
import { TritonEngine } from '../../engines/triton/tritonEngine';
import { createTestCa } from '../../tools/triton/pki';
import { onnxLogits, type StandInServer, startStandIn } from '../../tools/triton/standIn';
import { writeTestModel } from '../support/testModel';
import { mkfifo, releaseFifos, runCli, spawnCli, wav, writeManifest } from './cliHarness';

const modelDir = writeTestModel();
const model: ModelFolder = readModelFolder(modelDir);
const ca = createTestCa();
const dir = mkdtempSync(join(tmpdir(), 'hostile-triton-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, ca.caPem);
mkdirSync(join(dir, 'act'));
writeFileSync(join(dir, 'act', 'p0.wav'), wav(['a']));
const activity = writeManifest(join(dir, 'act'), [{ items: ['a_letter'], audio: 'p0.wav' }]);
const fifos: string[] = [];

/** A TCP server that accepts connections and never says a word (nor closes them). */
let silent: Server;
/** A TCP server that answers anything with a plaintext HTTP error, like a non-TLS port. */
let plaintext: Server;
let onnx: Awaited<ReturnType<typeof onnxLogits>>;
const standIns: StandInServer[] = [];
const portOf = (s: Server) => (s.address() as { port: number }).port;
const listen = (s: Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  silent = createServer(() => {});
  plaintext = createServer((c) => c.once('data', () => c.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  await Promise.all([listen(silent), listen(plaintext)]);
  onnx = await onnxLogits(model);
});
afterAll(async () => {
  releaseFifos(fifos);
  silent.close();
  plaintext.close();
  await Promise.all(standIns.map((s) => s.close()));
  await onnx.release();
});

async function standIn(tls: { cert: string; key: string }): Promise<string> {
  const server = await startStandIn({ model, logits: onnx.fn, tls });
  standIns.push(server);
  return `https://127.0.0.1:${server.port}`;
}

const triton = (url: string, ...more: string[]) => ['score', activity, '--model', modelDir, '--engine', 'triton', '--triton-url', url, '--deadline-ms', '500', ...more];

describe('a server that accepts TCP and never completes TLS', () => {
  it('fails the engine load within its deadline, as a TLS timeout (not after every retry)', async () => {
    const started = Date.now();
    const load = TritonEngine.load({ config: parseTritonConfig({ url: `https://127.0.0.1:${portOf(silent)}`, ca: { pem: ca.caPem }, deadlineMs: 400 }), model });
    await expect(load).rejects.toBeInstanceOf(EngineError);
    await expect(load).rejects.toMatchObject({ code: 'tls-timeout' });
    expect(Date.now() - started).toBeLessThan(1_200);
  });

  it('the CLI prints one line naming --triton-url, exits 2, and the process ends', async () => {
    const child = await spawnCli(triton(`https://127.0.0.1:${portOf(silent)}`, '--ca', caFile), 20_000);
    expect(child.code).toBe(2);
    expect(child.err.trim()).toMatch(
      /^readscore: --triton-url: the engine cannot be used: Triton at https:\/\/127\.0\.0\.1:\d+: no TLS\/HTTP2 answer within 500 ms .* \[tls-timeout\]$/,
    );
  }, 30_000);
});

describe('TLS material that cannot be a CA bundle', () => {
  it('refuses --ca /dev/zero and --ca <FIFO> without reading them, and the process ends', async () => {
    const fifo = mkfifo(join(dir, 'ca.fifo'));
    fifos.push(fifo);
    for (const [path, what] of [
      ['/dev/zero', 'a character device'],
      [fifo, 'a FIFO \\(named pipe\\)'],
    ] as const) {
      const child = await spawnCli(triton(`https://127.0.0.1:${portOf(silent)}`, '--ca', path), 15_000);
      expect(child.code).toBe(2);
      expect(child.err.trim()).toMatch(new RegExp(`^readscore: .*${path.replace(/[./]/g, '\\$&')}: cannot read the CA bundle: it is ${what}, not a regular file \\[bad-ca\\]$`));
    }
  }, 60_000);

  it('refuses a CA file holding no certificate', async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const { code, err } = await runCli(...triton(`https://127.0.0.1:${portOf(silent)}`, '--ca', garbage));
    expect(code).toBe(2);
    expect(err).toMatch(/garbage\.pem: the CA bundle holds no PEM certificate .*\[bad-ca\]\n$/);
  });
});

describe('certificates that are the user’s configuration, not an internal error', () => {
  it.each([
    ['an untrusted CA', () => createTestCa('Another CA').server(['127.0.0.1']), 'untrusted-certificate', /the server certificate is not signed by the CA bundle given/],
    ['another host name', () => ca.server(['triton.elsewhere.example']), 'wrong-host-name', /the server certificate is for DNS:triton\.elsewhere\.example, not 127\.0\.0\.1/],
    [
      'an expired certificate',
      () => ca.server(['127.0.0.1'], { notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }),
      'certificate-expired',
      /the server certificate expired on \d{4}-\d\d-\d\d/,
    ],
  ])('%s: exit 2 with a one-line reason', async (_, tls, code, reason) => {
    const url = await standIn(tls());
    const outcome = await runCli(...triton(url, '--ca', caFile));
    expect(outcome.code).toBe(2);
    expect(outcome.err).toMatch(new RegExp(`^readscore: https://127\\.0\\.0\\.1:\\d+: ${reason.source} .*\\[${code}\\]\\n$`));
    expect(outcome.err).not.toMatch(/internal error|\n\s+at /);
  });

  it('a plaintext port: exit 2, "does not speak TLS"', async () => {
    const outcome = await runCli(...triton(`https://127.0.0.1:${portOf(plaintext)}`, '--ca', caFile));
    expect(outcome.code).toBe(2);
    expect(outcome.err).toMatch(/the server does not speak TLS on this port .*\[not-tls\]\n$/);
  });

  it('the engine load classifies them as ConfigErrors (the Lambda logs the code)', async () => {
    const url = await standIn(ca.server(['triton.elsewhere.example']));
    await expect(TritonEngine.load({ config: parseTritonConfig({ url, ca: { pem: ca.caPem }, deadlineMs: 2_000 }), model })).rejects.toBeInstanceOf(ConfigError);
  });

  it('a good server still scores (the probe does not get in the way)', async () => {
    const url = await standIn(ca.server(['127.0.0.1']));
    const outcome = await runCli(...triton(url, '--ca', caFile, '--json'));
    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.out).engine).toBe('triton');
  });
});

describe('closing', () => {
  it('does not wait for an engine that never finishes closing', async () => {
    const { closeWithin } = require('../../handlers/cli/scoring') as typeof import('../../handlers/cli/scoring');
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const started = Date.now();
      await closeWithin({ close: () => new Promise<void>(() => {}) }, 200);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(err).toHaveBeenCalledWith(expect.stringMatching(/did not close within 200 ms/));
    } finally {
      err.mockRestore();
    }
  });
});
