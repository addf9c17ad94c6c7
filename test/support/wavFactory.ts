/** Builds WAV files byte by byte for decoder tests (any format code, bit depth, channel count). */

export interface WavSpec {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  /** Interleaved samples in [-1, 1] (int formats) or raw floats. */
  samples?: number[] | Float64Array;
  extensible?: boolean;
  /** Override the data chunk's declared size. */
  declaredDataBytes?: number;
  /** Raw data bytes instead of encoded samples. */
  rawData?: Uint8Array;
}

export function makeWav(spec: WavSpec = {}): Uint8Array {
  const format = spec.format ?? 1;
  const channels = spec.channels ?? 1;
  const rate = spec.rate ?? 16000;
  const bits = spec.bits ?? 16;
  const bytesPer = bits / 8;
  const samples = spec.samples ?? [];
  const data = spec.rawData ?? new Uint8Array(samples.length * bytesPer);
  if (!spec.rawData) {
    const dv = new DataView(data.buffer);
    Array.from(samples).forEach((s, i) => {
      const at = i * bytesPer;
      if (format === 3) {
        if (bits === 32) dv.setFloat32(at, s, true);
        else dv.setFloat64(at, s, true);
      } else if (bits === 8) dv.setUint8(at, Math.round(s * 127) + 128);
      else if (bits === 16) dv.setInt16(at, Math.round(s * 32767), true);
      else if (bits === 24) {
        const v = Math.round(s * 8388607);
        dv.setUint8(at, v & 0xff);
        dv.setUint8(at + 1, (v >> 8) & 0xff);
        dv.setInt8(at + 2, v >> 16);
      } else dv.setInt32(at, Math.round(s * 2147483647), true);
    });
  }
  const fmtSize = spec.extensible ? 40 : 16;
  const out = new Uint8Array(12 + 8 + fmtSize + 8 + data.length);
  const dv = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  dv.setUint32(4, out.length - 8, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, fmtSize, true);
  dv.setUint16(20, spec.extensible ? 0xfffe : format, true);
  dv.setUint16(22, channels, true);
  dv.setUint32(24, rate, true);
  dv.setUint32(28, rate * channels * bytesPer, true);
  dv.setUint16(32, channels * bytesPer, true);
  dv.setUint16(34, bits, true);
  if (spec.extensible) {
    dv.setUint16(36, 22, true);
    dv.setUint16(38, bits, true);
    dv.setUint32(40, 0, true);
    dv.setUint16(44, format, true); // sub-format GUID starts with the format code
    out.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 46);
  }
  const dataAt = 20 + fmtSize;
  put(dataAt, 'data');
  dv.setUint32(dataAt + 4, spec.declaredDataBytes ?? data.length, true);
  out.set(data, dataAt + 8);
  return out;
}
