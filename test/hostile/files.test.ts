/**
 * Hostile inputs, class 2 (lost results): a file that cannot be read is its phrase's `unscored`
 * reason, never the whole activity's loss, and in `batch` never the run's. Tests run as root, so
 * "permission denied" cannot be produced with chmod: it is injected by making node:fs/promises
 * `stat` fail with EACCES for one file (a spy on the module object), and the errno mapping is
 * tested directly with errno error objects. Symlink loops, sockets, long names, NUL and a 3 GiB
 * (sparse) file are real.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestModel } from '../support/testModel';
import { ID, listenOnSocket, runCli, wav, writeManifest } from './cliHarness';

const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');
const model = writeTestModel();
const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe('errno mapping of local file reads', () => {
  // Imported lazily: on today's code these modules do not exist, and the other tests must still run.
  const mapping = () => require('../../core/files/regularFile') as typeof import('../../core/files/regularFile');
  const audio = () => require('../../adapters/local/audioFiles') as typeof import('../../adapters/local/audioFiles');

  it.each([
    ['EACCES', 'unreadable', /permission denied/],
    ['EPERM', 'unreadable', /permission denied/],
    ['ELOOP', 'unreadable', /symbolic links/],
    ['ENAMETOOLONG', 'unreadable', /too long/],
    ['EMFILE', 'unreadable', /too many open files/],
    ['ENFILE', 'unreadable', /too many open files/],
    ['EIO', 'unreadable', /input\/output error/],
    ['ENXIO', 'not-a-file', /not a regular file/],
    ['ENOENT', 'missing', /not found/],
    ['EWHATEVER', 'unreadable', /EWHATEVER/],
    ['ERR_FS_FILE_TOO_LARGE', 'too-large', /too large/],
  ])('maps %s to a typed problem (%s)', (code, kind, detail) => {
    expect(mapping().fileProblemOf(errno(code))).toMatchObject({ kind, detail: expect.stringMatching(detail) });
  });

  it('leaves an error without an errno code alone: a genuine fault stays a fault', () => {
    expect(mapping().fileProblemOf(new Error('bug'))).toBeUndefined();
  });

  it('turns EACCES on an audio file into an AudioDecodeError naming it', () => {
    const error = audio().audioReadError(errno('EACCES'), 'act/p1.wav');
    expect(error).toMatchObject({ code: 'unreadable', message: 'act/p1.wav: cannot read the audio file: permission denied' });
  });
});

describe('readscore score: one unreadable phrase never loses the activity', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostile-files-'));

  it('scores the good phrase and reports each bad file as its phrase’s reason (exit 2)', async () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.wav'), wav(['a']));
    symlinkSync('loop-b.wav', join(dir, 'loop-a.wav'));
    symlinkSync('loop-a.wav', join(dir, 'loop-b.wav'));
    const socket = await listenOnSocket(join(dir, 'sock.wav'));
    writeFileSync(join(dir, 'huge.wav'), '');
    truncateSync(join(dir, 'huge.wav'), 3 * 2 ** 30); // sparse: 3 GiB on paper, nothing on disk
    const manifest = writeManifest(dir, [
      { items: ['a_letter'], audio: 'good.wav' },
      { items: ['b_letter'], audio: 'loop-a.wav' },
      { items: ['c_letter'], audio: 'sock.wav' },
      { items: ['d_letter'], audio: `${'n'.repeat(300)}.wav` },
      { items: ['e_letter'], audio: 'nul\u0000.wav' },
      { items: ['f_letter'], audio: 'huge.wav' },
    ]);
    try {
      const { code, out } = await runCli('score', manifest, '--model', model, '--json');
      expect(code).toBe(2);
      const result = JSON.parse(out);
      expect(result.phrases.map((p: { status: string; reason?: { code: string } }) => p.reason?.code ?? p.status)).toEqual([
        'scored',
        'unreadable',
        'not-wav',
        'unreadable',
        'unreadable',
        'too-large',
      ]);
      expect(result.phrases[0].items[0]).toMatchObject({ item: 'a_letter', verdict: 'correct' });
      expect(result.phrases[1].reason.message).toMatch(/loop-a\.wav: cannot read the audio file: too many levels of symbolic links/);
      expect(result.phrases[2].reason.message).toMatch(/sock\.wav: is a socket, not a regular file/);
      expect(result.phrases[3].reason.message).toMatch(/cannot read the audio file: the file name is too long/);
      expect(result.phrases[4].reason.message).toMatch(/the path contains a NUL character/);
      expect(result.phrases[5].reason.message).toMatch(/huge\.wav: cannot read the audio file: the file is 3\.0 GiB; the largest file read is 256\.0 MiB/);
    } finally {
      socket.close();
    }
  });

  it('reports permission denied (injected EACCES) and too many open files (injected EMFILE) as reasons', async () => {
    const dir = join(root, 'denied');
    mkdirSync(dir);
    for (const name of ['good.wav', 'denied.wav', 'emfile.wav']) writeFileSync(join(dir, name), wav(['a']));
    const manifest = writeManifest(dir, [
      { items: ['a_letter'], audio: 'good.wav' },
      { items: ['a_letter'], audio: 'denied.wav' },
      { items: ['a_letter'], audio: 'emfile.wav' },
    ]);
    const realStat = fsPromises.stat;
    const realOpen = fsPromises.open;
    const stat = jest
      .spyOn(fsPromises, 'stat')
      .mockImplementation(((path: string, ...rest: []) => (String(path).endsWith('denied.wav') ? Promise.reject(errno('EACCES')) : realStat(path, ...rest))) as typeof realStat);
    const open = jest
      .spyOn(fsPromises, 'open')
      .mockImplementation(((path: string, ...rest: []) => (String(path).endsWith('emfile.wav') ? Promise.reject(errno('EMFILE')) : realOpen(path, ...rest))) as typeof realOpen);
    try {
      const { code, out } = await runCli('score', manifest, '--model', model, '--json');
      expect(code).toBe(2);
      const phrases = JSON.parse(out).phrases;
      expect(phrases[0].status).toBe('scored');
      expect(phrases[1].reason).toMatchObject({ code: 'unreadable', message: expect.stringMatching(/denied\.wav: cannot read the audio file: permission denied/) });
      expect(phrases[2].reason).toMatchObject({ code: 'unreadable', message: expect.stringMatching(/emfile\.wav: .*too many open files/) });
    } finally {
      stat.mockRestore();
      open.mockRestore();
    }
  });
});

describe('readscore batch: one bad activity never stops the run', () => {
  /** Six good activities, a symlink loop, malformed JSON, and one whose audio read hits a genuine fault. */
  const tree = () => {
    const root = mkdtempSync(join(tmpdir(), 'hostile-batch-'));
    for (let i = 0; i < 6; i++) {
      const dir = join(root, `good${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'p0.wav'), wav(['a']));
      writeManifest(dir, [{ items: ['a_letter'], audio: 'p0.wav' }], ID(i));
    }
    const loop = join(root, 'loop');
    mkdirSync(loop);
    symlinkSync('x.wav', join(loop, 'x.wav'));
    writeManifest(loop, [{ items: ['a_letter'], audio: 'x.wav' }], ID(7));
    const badJson = join(root, 'bad-json');
    mkdirSync(badJson);
    writeFileSync(join(badJson, 'activity.json'), '{');
    const internal = join(root, 'internal');
    mkdirSync(internal);
    writeFileSync(join(internal, 'p0.wav'), wav(['a']));
    writeManifest(internal, [{ items: ['a_letter'], audio: 'p0.wav' }], ID(8));
    return { root };
  };

  it.each([
    ['in one thread (--concurrency 1), with a genuine fault injected', '1'],
    ['on three scoring threads (--concurrency 3)', '3'],
  ])('writes every good activity and prints the summary whatever its neighbours are: %s', async (_, concurrency) => {
    const { root } = tree();
    const threads = concurrency !== '1';
    // A genuine fault (no errno) while reading one activity's audio: it must stay that activity's.
    // (Injected by a spy in this thread, so only the one-thread run sees it.)
    const realOpen = fsPromises.open;
    const open = jest
      .spyOn(fsPromises, 'open')
      .mockImplementation(((path: string, ...rest: []) =>
        String(path).includes(`${join('internal', 'p0.wav')}`) ? Promise.reject(new Error('injected fault')) : realOpen(path, ...rest)) as typeof realOpen);
    const out = join(root, 'out');
    try {
      const outcome = await runCli('batch', root, '--model', model, '--concurrency', concurrency, '--out', out);
      expect(outcome.err).toMatch(/bad-json\/activity\.json: malformed JSON/);
      if (threads) {
        expect(outcome.out).toMatch(/Scored 8\/9 activities .* on 3 threads\); 1 partly unscored; 7\/7 items correct or accepted/);
        expect(outcome.code).toBe(2);
      } else {
        expect(outcome.out).toMatch(/Scored 7\/9 activities .*; 1 partly unscored; 6\/6 items correct or accepted/);
        expect(outcome.err).toMatch(/internal\/activity\.json: internal error: injected fault/);
        expect(outcome.code).toBe(1); // an internal fault happened (reported, contained)
      }
    } finally {
      open.mockRestore();
    }
    const written = readdirSync(out).sort();
    expect(written).toEqual([...[0, 1, 2, 3, 4, 5].map((i) => `${ID(i)}.json`), `${ID(7)}.json`, ...(threads ? [`${ID(8)}.json`] : [])].sort());
    expect(JSON.parse(readFileSync(join(out, `${ID(7)}.json`), 'utf8')).phrases[0].reason.code).toBe('unreadable');
  });
});

describe('--out', () => {
  it('is refused up front (exit 2) when it names a file, before anything is scored', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hostile-out-'));
    const dir = join(root, 'act');
    mkdirSync(dir);
    writeFileSync(join(dir, 'p0.wav'), wav(['a']));
    const manifest = writeManifest(dir, [{ items: ['a_letter'], audio: 'p0.wav' }]);
    writeFileSync(join(root, 'results'), 'a file');
    for (const command of ['score', 'batch']) {
      const { code, out, err } = await runCli(command, manifest, '--model', model, '--out', join(root, 'results'));
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(/^readscore: --out: .*results is a file, not a folder for results \[bad-flag\]\n$/);
    }
    const nested = await runCli('score', manifest, '--model', model, '--out', join(root, 'results', 'below'));
    expect(nested.code).toBe(2);
    expect(nested.err).toMatch(/--out: .* is a file, not a folder for results/);
  });

  it('loses no other result when one result cannot be written (its file name is taken by a folder)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hostile-out-write-'));
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `act${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'p0.wav'), wav(['a']));
      writeManifest(dir, [{ items: ['a_letter'], audio: 'p0.wav' }], ID(i));
    }
    const out = join(root, 'out');
    mkdirSync(join(out, `${ID(1)}.json`), { recursive: true });
    const { code, err } = await runCli('batch', root, '--model', model, '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`${ID(1)}\\.json: cannot write the result \\(EISDIR\\) \\[unwritable\\]`));
    expect(existsSync(join(out, `${ID(0)}.json`)) && existsSync(join(out, `${ID(2)}.json`))).toBe(true);
  });

  it.each([
    ['batch in one thread', ['batch', '--concurrency', '1']],
    ['batch on two scoring threads', ['batch', '--concurrency', '2']],
    ['score', ['score']],
  ])('scores only the first of two manifests with one activityId, and says why (%s)', async (_, [command, ...flags]) => {
    // Both results would go to <out>/<id>.json: one would silently overwrite the other, and two
    // threads writing it at once raced for the temporary file (ENOENT).
    const root = mkdtempSync(join(tmpdir(), 'hostile-out-same-id-'));
    for (const [name, phrases] of [
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ] as const) {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'p0.wav'), wav(['a']));
      writeManifest(
        dir,
        Array.from({ length: phrases }, () => ({ items: ['a_letter'], audio: 'p0.wav' })),
        name === 'c' ? ID(3) : ID(1),
      );
    }
    const out = join(root, 'out');
    const { code, out: printed, err } = await runCli(command as string, root, '--model', model, ...flags, '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(
      new RegExp(
        `b/activity\\.json: activityId ${ID(1)} is also the id of .*a/activity\\.json; both results would be written to .*${ID(1)}\\.json, so this one is not scored \\[duplicate-activity-id\\]`,
      ),
    );
    expect(err).not.toMatch(/unwritable|ENOENT/);
    expect(readdirSync(out).sort()).toEqual([`${ID(1)}.json`, `${ID(3)}.json`]);
    expect(JSON.parse(readFileSync(join(out, `${ID(1)}.json`), 'utf8')).phrases).toHaveLength(1); // a's, not b's
    if (command === 'batch') expect(printed).toMatch(/Scored 2\/3 activities/);
  });
});
