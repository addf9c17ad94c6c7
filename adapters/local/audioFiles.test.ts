import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioDecodeError } from '../../core/errors';
import { localAudioSource } from './audioFiles';

describe('localAudioSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audio-'));
  writeFileSync(join(dir, 'a.wav'), 'RIFF');
  const source = localAudioSource(dir);

  it('reads files relative to the manifest folder', async () => {
    expect(Buffer.from(await source.read('a.wav')).toString()).toBe('RIFF');
  });

  it('reports a missing file as a `missing` AudioDecodeError naming it', async () => {
    await expect(source.read('gone.wav')).rejects.toBeInstanceOf(AudioDecodeError);
    await expect(source.read('gone.wav')).rejects.toMatchObject({ code: 'missing', message: expect.stringMatching(/gone\.wav: audio file not found$/) });
  });

  it('reports a folder given as audio', async () => {
    await expect(source.read('.')).rejects.toMatchObject({ code: 'not-wav', message: expect.stringMatching(/is a directory/) });
  });

  it('refuses a file larger than its byte limit before reading it', async () => {
    await expect(localAudioSource(dir, { maxBytes: 3 }).read('a.wav')).rejects.toMatchObject({
      code: 'too-large',
      message: expect.stringMatching(/a\.wav: cannot read the audio file: the file is 4 bytes; the largest file read is 3 bytes$/),
    });
  });

  it('refuses paths leaving the folder with one message, whether anything is there or not', async () => {
    const messages = await Promise.all(['../x.wav', '/etc/hostname'].map((ref) => source.read(ref).catch((e: Error) => e.message.replace(/^.*?: /, ''))));
    expect(messages[0]).toMatch(/^refused: audio must be inside the activity folder/);
    expect(messages[1]).toBe(messages[0]);
  });
});
