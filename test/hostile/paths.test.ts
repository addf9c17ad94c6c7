/**
 * Hostile inputs, class 3 (reads outside the activity): audio references resolve inside the
 * manifest's folder (or --audio-root), symbolic links included; what lies outside is never opened,
 * and the refusal reads the same whether something exists there or not. FIFOs, sockets and devices
 * are refused without being read.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeTestModel } from '../support/testModel';
import { listenOnSocket, mkfifo, releaseFifos, runCli, wav, writeManifest } from './cliHarness';

const model = writeTestModel();
const root = mkdtempSync(join(tmpdir(), 'hostile-paths-'));
const fifos: string[] = [];
afterAll(() => releaseFifos(fifos));

type Phrase = { status: string; reason?: { code: string; message: string } };
const reasons = (out: string) => (JSON.parse(out).phrases as Phrase[]).map((p) => p.reason ?? { code: p.status, message: '' });

/** Another activity beside the one under test, with a real, valid WAV: the thing a manifest must not reach. */
const neighbour = join(root, 'neighbour');
mkdirSync(neighbour);
writeFileSync(join(neighbour, 'secret.wav'), wav(['a']));

describe('audio references outside the activity folder', () => {
  const dir = join(root, 'act');
  mkdirSync(dir);
  writeFileSync(join(dir, 'good.wav'), wav(['a']));
  symlinkSync(join(neighbour, 'secret.wav'), join(dir, 'link-out.wav'));
  symlinkSync(join(neighbour, 'nothing-here.wav'), join(dir, 'dangling-out.wav'));
  symlinkSync(neighbour, join(dir, 'dir-out'));
  symlinkSync('good.wav', join(dir, 'link-in.wav'));

  it('refuses ../, absolute paths and symlinks leaving the folder, the same way whether the target exists or not', async () => {
    const manifest = writeManifest(dir, [
      { items: ['a_letter'], audio: 'good.wav' },
      { items: ['a_letter'], audio: '../neighbour/secret.wav' },
      { items: ['a_letter'], audio: '../neighbour/nothing-here.wav' },
      { items: ['a_letter'], audio: join(neighbour, 'secret.wav') },
      { items: ['a_letter'], audio: '/etc/shadow' },
      { items: ['a_letter'], audio: '/no/such/file.wav' },
      { items: ['a_letter'], audio: 'link-out.wav' },
      { items: ['a_letter'], audio: 'dangling-out.wav' },
      { items: ['a_letter'], audio: 'dir-out/secret.wav' },
      { items: ['a_letter'], audio: 'dir-out/nothing-here.wav' },
      { items: ['a_letter'], audio: 'link-in.wav' },
    ]);
    const { code, out } = await runCli('score', manifest, '--model', model, '--json');
    expect(code).toBe(2);
    const r = reasons(out);
    expect(r[0]?.code).toBe('scored');
    expect(r[10]?.code).toBe('scored'); // a symlink that stays inside is fine
    for (const refused of r.slice(1, 10)) {
      expect(refused.code).toBe('outside-root');
      // Only the name differs: never "not found" vs "not a WAV" (which would tell what exists outside).
      expect(refused.message.replace(/^.*?: refused/, 'refused')).toBe(
        `refused: audio must be inside the activity folder (${relative(process.cwd(), dir)}); paths that leave it (../, absolute paths, symbolic links) are not read`,
      );
    }
  });

  it('reads from an explicit --audio-root, and nowhere outside it', async () => {
    const manifest = writeManifest(join(root, 'shared-audio'), [
      { items: ['a_letter'], audio: '../neighbour/secret.wav' },
      { items: ['a_letter'], audio: '../../outside.wav' },
    ]);
    const { code, out } = await runCli('score', manifest, '--model', model, '--json', '--audio-root', root);
    expect(code).toBe(2);
    const r = reasons(out);
    expect(r[0]?.code).toBe('scored');
    expect(r[1]).toMatchObject({ code: 'outside-root', message: expect.stringMatching(/refused: audio must be inside the audio root/) });
  });

  it('refuses an --audio-root that is not a folder, up front', async () => {
    const manifest = writeManifest(join(root, 'any'), [{ items: ['a_letter'], audio: 'x.wav' }]);
    const { code, err } = await runCli('score', manifest, '--model', model, '--audio-root', join(neighbour, 'secret.wav'));
    expect(code).toBe(2);
    expect(err).toMatch(/--audio-root: .*secret\.wav is not a regular file|--audio-root: .*secret\.wav is .*, not a folder/);
  });
});

describe('files that are not regular files', () => {
  it('refuses a FIFO, a socket and /dev/zero without reading them (no hang, no runaway read)', async () => {
    const dir = join(root, 'special');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.wav'), wav(['a']));
    fifos.push(mkfifo(join(dir, 'fifo.wav')));
    const socket = await listenOnSocket(join(dir, 'sock.wav'));
    symlinkSync('/dev/zero', join(dir, 'zero.wav'));
    const manifest = writeManifest(dir, [
      { items: ['a_letter'], audio: 'good.wav' },
      { items: ['a_letter'], audio: 'fifo.wav' },
      { items: ['a_letter'], audio: 'sock.wav' },
      { items: ['a_letter'], audio: '/dev/zero' },
    ]);
    try {
      const started = Date.now();
      const { code, out } = await runCli('score', manifest, '--model', model, '--json', '--audio-root', '/');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(code).toBe(2);
      const r = reasons(out);
      expect(r[0]?.code).toBe('scored');
      expect(r[1]).toMatchObject({ code: 'not-wav', message: expect.stringMatching(/fifo\.wav: is a FIFO \(named pipe\), not a regular file/) });
      expect(r[2]).toMatchObject({ code: 'not-wav', message: expect.stringMatching(/sock\.wav: is a socket, not a regular file/) });
      expect(r[3]).toMatchObject({ code: 'not-wav', message: expect.stringMatching(/is a character device, not a regular file/) });
    } finally {
      socket.close();
    }
  }, 10_000);

  it('refuses a symlink to /dev/zero inside the folder as outside (it resolves to /dev)', async () => {
    const dir = join(root, 'special2');
    mkdirSync(dir);
    symlinkSync('/dev/zero', join(dir, 'zero.wav'));
    const manifest = writeManifest(dir, [{ items: ['a_letter'], audio: 'zero.wav' }]);
    const { out } = await runCli('score', manifest, '--model', model, '--json');
    expect(reasons(out)[0]?.code).toBe('outside-root');
  }, 10_000);
});
