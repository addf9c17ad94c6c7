import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors';
import { EngineError } from '../../core/pipeline/engine';
import { checkCaBundle, MAX_PEM_BYTES, readPemFile } from './pemFile';
import { certificateError, connectionError } from './tlsProbe';

const URL = 'https://triton.internal:443';
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('certificateError', () => {
  it.each([
    ['CERT_HAS_EXPIRED', 'certificate-expired', /expired on 2020-01-02/],
    ['CERT_NOT_YET_VALID', 'certificate-not-yet-valid', /not valid before 2019-12-31/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted-certificate', /not signed by the CA bundle given/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'untrusted-certificate', /check --ca/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-host-name', /is for DNS:other, not triton\.internal/],
    ['SOMETHING_NEW', 'bad-certificate', /SOMETHING_NEW/],
  ])('%s is the ConfigError %s', (code, expected, message) => {
    const error = certificateError(code, URL, 'triton.internal', { valid_to: '2020-01-02T00:00:00Z', valid_from: '2019-12-31T00:00:00Z', subjectaltname: 'DNS:other' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: expected, message: expect.stringMatching(message) });
  });
});

describe('connectionError', () => {
  it.each([
    ['ENOTFOUND', ConfigError, 'unknown-host'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', ConfigError, 'client-certificate-required'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', ConfigError, 'client-certificate-refused'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', ConfigError, 'not-tls'],
    ['ECONNREFUSED', EngineError, 'unavailable'],
    ['ECONNRESET', EngineError, 'unavailable'],
  ])('%s is a %p with code %s', (code, type, expected) => {
    const error = connectionError(errno(code), URL);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(expected);
  });
});

describe('readPemFile and checkCaBundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-'));

  it('refuses a file larger than a PEM bundle can be', () => {
    writeFileSync(join(dir, 'big.pem'), Buffer.alloc(MAX_PEM_BYTES + 1));
    expect(() => readPemFile(join(dir, 'big.pem'), 'CA bundle', 'bad-ca')).toThrow(/big\.pem: cannot read the CA bundle: it is \d+ bytes; a PEM file is at most/);
  });

  it('refuses a missing file and a folder, naming them', () => {
    expect(() => readPemFile(join(dir, 'none.pem'), 'CA bundle', 'bad-ca')).toThrow(/none\.pem: cannot read the CA bundle: no such file/);
    expect(() => readPemFile(dir, 'client key', 'bad-client-cert')).toThrow(/cannot read the client key: it is a directory, not a regular file/);
  });

  it('requires at least one parseable certificate', () => {
    expect(() => checkCaBundle(Buffer.from('hello'), 'ca.pem')).toThrow(/ca\.pem: the CA bundle holds no PEM certificate/);
    expect(() => checkCaBundle(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'ca.pem')).toThrow(/cannot be parsed/);
  });
});
