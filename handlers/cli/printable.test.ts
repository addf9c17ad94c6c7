import { printable } from './printable';

describe('printable', () => {
  it('escapes newlines, carriage returns, tabs, escape sequences and other controls', () => {
    expect(printable('a\nb\rc\td\u001b[31me\u0000f\u0007g\u009bh')).toBe('a\\nb\\rc\\td\\x1b[31me\\0f\\x07g\\x9bh');
  });

  it('escapes bidirectional overrides and line separators (names that read backwards)', () => {
    expect(printable('x\u202ev.wav\u2028y')).toBe('x\\u{202e}v.wav\\u{2028}y');
  });

  it('leaves printable text alone, including non-ASCII and backslashes', () => {
    expect(printable('examples/ʃ-sounds/p0.wav C:\\x')).toBe('examples/ʃ-sounds/p0.wav C:\\x');
  });
});
