/**
 * Reads the PEM files of the Triton connection (CA bundle, client certificate and key): regular
 * files only, of bounded size, so `--ca /dev/zero` or a FIFO is refused instead of read forever.
 */

import { X509Certificate } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { ConfigError } from '../../core/errors';

/** Largest PEM file read: a CA bundle of a few hundred certificates is well under this. */
export const MAX_PEM_BYTES = 1024 * 1024;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * The bytes of a PEM file; every failure is a ConfigError with `code` naming the file: missing,
 * unreadable, not a regular file, or larger than {@link MAX_PEM_BYTES}.
 */
export function readPemFile(path: string, what: string, code: string): Buffer {
  const refuse = (reason: string): never => {
    throw new ConfigError(code, path, `cannot read the ${what}: ${reason}`);
  };
  if (path.includes('\0')) refuse('the path contains a NUL character');
  const check = (s: Stats) => {
    if (!s.isFile()) refuse(`it is ${kindOf(s)}, not a regular file`);
    if (s.size > MAX_PEM_BYTES) refuse(`it is ${s.size} bytes; a PEM file is at most ${MAX_PEM_BYTES}`);
  };
  let fd: number | undefined;
  try {
    check(statSync(path));
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const s = fstatSync(fd);
    check(s);
    const buffer = Buffer.alloc(s.size);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') return refuse('no such file');
    if (errno === 'EACCES' || errno === 'EPERM') return refuse('permission denied');
    return refuse(errno ?? (error as Error).message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Certificates in a PEM bundle; a bundle holding none is a ConfigError naming `source`. */
export function checkCaBundle(pem: Buffer, source: string): void {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let valid = 0;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
      valid++;
    } catch {
      throw new ConfigError('bad-ca', source, 'the CA bundle holds a certificate that cannot be parsed');
    }
  }
  if (valid === 0) throw new ConfigError('bad-ca', source, 'the CA bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
}
