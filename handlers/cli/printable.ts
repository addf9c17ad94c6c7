/**
 * Makes untrusted text (file names, manifest fields, error messages quoting them) safe to print on
 * a terminal or in a log: a name holding a newline, a carriage return or an escape sequence could
 * otherwise forge log lines or rewrite the screen.
 */

// C0 and C1 controls, DEL, the line and paragraph separators and the bidirectional overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\x1b', '\u0000': '\\0' };

/**
 * `text` with every control or bidirectional-override character written as an escape (`\n`,
 * `\x1b`, `\u{202e}`); everything else is unchanged.
 *
 * @example
 * printable('p0.wav\n[ok] forged line') // 'p0.wav\\n[ok] forged line'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0) as number;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
