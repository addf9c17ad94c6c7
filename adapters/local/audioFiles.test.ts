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
});
