/**
 * A throwaway PKI for local TLS: a CA and certificates it signs, for the Triton stand-in and the
 * tests. Keys come from node:crypto; node-forge builds and signs the X.509 certificates.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A certificate and its private key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

function rsaKey(): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { pem, forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

/** A validity window: from `notBefore` until `notAfter`. */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const validFor = (days: number): Validity => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + days * 86_400_000) });

function baseCert(publicKey: forge.pki.PublicKey, commonName: string, validity: Validity): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

/** A certificate authority that signs leaf certificates. */
export interface TestCa {
  /** The CA certificate, PEM (what clients trust). */
  readonly caPem: string;
  /** A server certificate valid for these host names / IP addresses (and the CA's days, or `validity`: an expired one for tests). */
  server(hosts: readonly string[], validity?: Validity): KeyPair;
  /** A client certificate (mTLS). */
  client(name: string): KeyPair;
}

/** Creates a new CA (valid for `days`, default 2). */
export function createTestCa(name = 'ReadScore test CA', days = 2): TestCa {
  const ca = rsaKey();
  const caCert = baseCert(ca.publicKey, name, validFor(days));
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  caCert.sign(ca.forgeKey, forge.md.sha256.create());
  const leaf = (commonName: string, extensions: object[], validity = validFor(days)): KeyPair => {
    const key = rsaKey();
    const cert = baseCert(key.publicKey, commonName, validity);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true }, ...extensions]);
    cert.sign(ca.forgeKey, forge.md.sha256.create());
    return { cert: forge.pki.certificateToPem(cert), key: key.pem };
  };
  return {
    caPem: forge.pki.certificateToPem(caCert),
    server: (hosts, validity) =>
      leaf(
        hosts[0] ?? 'server',
        [
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
        ],
        validity,
      ),
    client: (commonName) => leaf(commonName, [{ name: 'extKeyUsage', clientAuth: true }]),
  };
}
