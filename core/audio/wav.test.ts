import { makeWav } from '../../test/support/wavFactory';
import { AudioDecodeError } from '../errors';
import { encodeWav, MAX_FLOAT_SAMPLE, readWav, readWavHeader } from './wav';

const ramp = [0, 0.25, -0.5, 0.75, -1 + 1e-3];

function expectAudioError(bytes: Uint8Array, code: string, pattern: RegExp, options = {}) {
  let caught: unknown;
  try {
    readWav(bytes, 'child.wav', options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AudioDecodeError);
  expect((caught as AudioDecodeError).code).toBe(code);
  expect((caught as Error).message).toMatch(/^child\.wav: /);
  expect((caught as Error).message).toMatch(pattern);
}

describe('readWav', () => {
  it.each([8, 16, 24, 32])('reads %i-bit PCM with int→float scaling', (bits) => {
    const audio = readWav(makeWav({ bits, samples: ramp }), 'x.wav');
    expect(audio.encoding).toBe(`pcm${bits}`);
    const tolerance = bits === 8 ? 0.01 : 1e-4;
    audio.samples.forEach((s, i) => {
      expect(Math.abs(s - (ramp[i] as number))).toBeLessThan(tolerance);
    });
  });

  it.each([32, 64])('reads %i-bit IEEE float', (bits) => {
    const audio = readWav(makeWav({ format: 3, bits, samples: ramp }), 'x.wav');
    expect(audio.encoding).toBe(`float${bits}`);
    audio.samples.forEach((s, i) => {
      expect(s).toBeCloseTo(ramp[i] as number, 6);
    });
  });

  it('reads WAVE_FORMAT_EXTENSIBLE by its sub-format', () => {
    const audio = readWav(makeWav({ extensible: true, format: 1, bits: 24, samples: ramp }), 'x.wav');
    expect(audio.encoding).toBe('pcm24');
    expect(audio.samples[2]).toBeCloseTo(-0.5, 4);
  });

  it('downmixes any channel count to mono and keeps the sample rate', () => {
    const audio = readWav(makeWav({ channels: 3, rate: 44100, samples: [0.3, 0.6, 0, -0.3, -0.3, -0.3] }), 'x.wav');
    expect(audio.channels).toBe(3);
    expect(audio.sampleRate).toBe(44100);
    expect(audio.samples.length).toBe(2);
    expect(audio.samples[0]).toBeCloseTo(0.3, 3);
    expect(audio.samples[1]).toBeCloseTo(-0.3, 3);
  });

  it('reads a streaming file whose data size was left at 0xFFFFFFFF', () => {
    const audio = readWav(makeWav({ samples: ramp, declaredDataBytes: 0xffffffff }), 'x.wav');
    expect(audio.samples.length).toBe(ramp.length);
  });

  it('round-trips encodeWav', () => {
    const samples = Float32Array.from([0.5, -0.25, 0]);
    expect(Array.from(readWav(encodeWav(samples, 8000, 'float32'), 'x.wav').samples)).toEqual([0.5, -0.25, 0]);
    expect(readWav(encodeWav(samples, 8000, 'pcm16'), 'x.wav').samples[0]).toBeCloseTo(0.5, 4);
  });

  describe('bad input', () => {
    it('rejects a file that is not a WAV', () => expectAudioError(new TextEncoder().encode('hello, this is not audio at all'), 'not-wav', /not a WAV file/));
    it('names an MP3 stream renamed to .wav', () => expectAudioError(Uint8Array.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'not-wav', /looks like MP3/));
    it('rejects a truncated header', () => expectAudioError(makeWav({ samples: ramp }).subarray(0, 30), 'truncated', /fmt chunk truncated/));
    it('rejects a header cut before the RIFF type', () => expectAudioError(makeWav().subarray(0, 6), 'truncated', /RIFF header truncated/));
    it('rejects truncated data', () => expectAudioError(makeWav({ samples: ramp }).subarray(0, 48), 'truncated', /data chunk truncated: header says 10 bytes, file has 4/));
    it('rejects data that ends inside a sample frame', () => expectAudioError(makeWav({ rawData: new Uint8Array(3) }), 'truncated', /inside a sample frame/));
    it('rejects zero-length audio', () => expectAudioError(makeWav({ samples: [] }), 'empty', /zero-length audio/));
    it('rejects an empty file', () => expectAudioError(new Uint8Array(0), 'empty', /0 bytes/));
    it('rejects NaN samples', () => expectAudioError(makeWav({ format: 3, bits: 32, samples: [0, Number.NaN] }), 'invalid-samples', /sample 1 .* is NaN/));
    it('rejects huge finite float samples (they overflow the resampler)', () =>
      expectAudioError(
        makeWav({ format: 3, bits: 32, samples: [0, 0.5, 3.4e38] }),
        'invalid-samples',
        /sample 2 \(0\.000 s\) is 3\.40e\+38: float samples beyond ±16 are not audio/,
      ));
    it('accepts float samples a little over full scale', () => {
      expect(readWav(makeWav({ format: 3, bits: 32, samples: [1.5, -MAX_FLOAT_SAMPLE] }), 'x.wav').samples[1]).toBe(-MAX_FLOAT_SAMPLE);
    });
    it('rejects Inf samples', () => expectAudioError(makeWav({ format: 3, bits: 64, samples: [Number.POSITIVE_INFINITY] }), 'invalid-samples', /Infinity/));
    it('rejects µ-law', () => expectAudioError(makeWav({ format: 7, bits: 8, samples: [0] }), 'unsupported-format', /unsupported codec µ-law/));
    it('rejects an MP3 codec inside a WAV container', () => expectAudioError(makeWav({ format: 0x55, bits: 16, samples: [0] }), 'unsupported-format', /unsupported codec MP3/));
    it('rejects a 2-hour file by its header before decoding', () => {
      const twoHours = makeWav({ rate: 1000, bits: 8, rawData: new Uint8Array(2 * 3600 * 1000) });
      expectAudioError(twoHours, 'too-long', /7200\.0 s long; the limit is 600 s/);
    });
    it('applies a configured duration limit', () => expectAudioError(makeWav({ rate: 1000, samples: new Array(2000).fill(0) }), 'too-long', /limit is 1 s/, { maxDurationSec: 1 }));
    it('rejects an unsupported bit depth', () => expectAudioError(makeWav({ bits: 12 as number, rawData: new Uint8Array(0) }), 'unsupported-format', /12-bit PCM/));
  });
});

describe('readWavHeader', () => {
  it('reads the duration and layout from the header alone', () => {
    const header = readWavHeader(makeWav({ rate: 8000, channels: 2, samples: new Array(16000).fill(0) }), 'x.wav');
    expect(header).toMatchObject({ sampleRate: 8000, channels: 2, encoding: 'pcm16', frames: 8000, seconds: 1, dataStart: 44 });
  });

  it('refuses a 2-hour file from its header, before any sample is decoded', () => {
    const wav = makeWav({ rate: 16000, samples: [0] });
    const long = new Uint8Array(44 + 2 * 3600 * 16000 * 2);
    long.set(wav.subarray(0, 44));
    new DataView(long.buffer).setUint32(40, 2 * 3600 * 16000 * 2, true);
    expect(() => readWavHeader(long, 'long.wav')).toThrow(/long\.wav: audio is 7200\.0 s long; the limit is 600 s/);
  });
});
