/**
 * Real key and certificate material for `tls:*` resources under Pulumi mocks, made from their
 * inputs (node:crypto keys, node-forge certificates), so tests can check SANs, validity, key usage
 * and the chain to the CA with X509Certificate. RSA only (what the stack uses).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

type Inputs = Record<string, unknown>;

const USAGE: Record<string, (ext: { keyUsage: Record<string, boolean>; extKeyUsage: Record<string, boolean> }) => void> = {
  digital_signature: (e) => (e.keyUsage.digitalSignature = true),
  key_encipherment: (e) => (e.keyUsage.keyEncipherment = true),
  cert_signing: (e) => (e.keyUsage.keyCertSign = true),
  crl_signing: (e) => (e.keyUsage.cRLSign = true),
  server_auth: (e) => (e.extKeyUsage.serverAuth = true),
  client_auth: (e) => (e.extKeyUsage.clientAuth = true),
};

function subjectOf(inputs: Inputs): forge.pki.CertificateField[] {
  const subject = (Array.isArray(inputs.subject) ? inputs.subject[0] : inputs.subject) as Record<string, string> | undefined;
  const fields: forge.pki.CertificateField[] = [];
  if (subject?.commonName) fields.push({ name: 'commonName', value: subject.commonName });
  if (subject?.organization) fields.push({ name: 'organizationName', value: subject.organization });
  return fields;
}

function serial(seed: string): string {
  return `01${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`;
}

function sign(cert: forge.pki.Certificate, inputs: Inputs, issuerKeyPem: string, name: string): string {
  const hours = Number(inputs.validityPeriodHours ?? 24);
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + hours * 3_600_000);
  cert.serialNumber = serial(name);
  const ext = { keyUsage: { name: 'keyUsage', critical: true } as Record<string, boolean | string>, extKeyUsage: { name: 'extKeyUsage' } as Record<string, boolean | string> };
  for (const use of (inputs.allowedUses as string[] | undefined) ?? []) USAGE[use]?.(ext as never);
  const extensions: object[] = [{ name: 'basicConstraints', cA: Boolean(inputs.isCaCertificate), critical: true }, ext.keyUsage];
  if (Object.keys(ext.extKeyUsage).length > 1) extensions.push(ext.extKeyUsage);
  const dns = (inputs.dnsNames as string[] | undefined) ?? [];
  const ips = (inputs.ipAddresses as string[] | undefined) ?? [];
  if (dns.length || ips.length) extensions.push({ name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))] });
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(issuerKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** State for a `tls:*` resource, or undefined for other types. */
export function tlsState(type: string, name: string, inputs: Inputs): Inputs | undefined {
  switch (type) {
    case 'tls:index/privateKey:PrivateKey': {
      if (inputs.algorithm !== 'RSA') throw new Error(`tls mock: ${name}: only RSA keys are mocked (got ${String(inputs.algorithm)})`);
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: Number(inputs.rsaBits ?? 2048) });
      return {
        ...inputs,
        privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    }
    case 'tls:index/selfSignedCert:SelfSignedCert': {
      const key = forge.pki.privateKeyFromPem(inputs.privateKeyPem as string) as forge.pki.rsa.PrivateKey;
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
      cert.setSubject(subjectOf(inputs));
      cert.setIssuer(subjectOf(inputs));
      const certPem = sign(cert, inputs, inputs.privateKeyPem as string, name);
      return { ...inputs, certPem, validityEndTime: cert.validity.notAfter.toISOString(), readyForRenewal: false };
    }
    case 'tls:index/certRequest:CertRequest': {
      const csr = forge.pki.createCertificationRequest();
      const key = forge.pki.privateKeyFromPem(inputs.privateKeyPem as string) as forge.pki.rsa.PrivateKey;
      csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
      csr.setSubject(subjectOf(inputs));
      const altNames = [
        ...((inputs.dnsNames as string[] | undefined) ?? []).map((value) => ({ type: 2, value })),
        ...((inputs.ipAddresses as string[] | undefined) ?? []).map((ip) => ({ type: 7, ip })),
      ];
      if (altNames.length) csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames }] }]);
      csr.sign(key, forge.md.sha256.create());
      return { ...inputs, certRequestPem: forge.pki.certificationRequestToPem(csr) };
    }
    case 'tls:index/locallySignedCert:LocallySignedCert': {
      const csr = forge.pki.certificationRequestFromPem(inputs.certRequestPem as string);
      const ca = forge.pki.certificateFromPem(inputs.caCertPem as string);
      const cert = forge.pki.createCertificate();
      cert.publicKey = csr.publicKey as forge.pki.PublicKey;
      cert.setSubject(csr.subject.attributes);
      cert.setIssuer(ca.subject.attributes);
      // The subject alternative names travel in the request, as with the real provider.
      const requested = csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: { name: string; altNames?: { type: number; value?: string; ip?: string }[] }[] } | null;
      const san = requested?.extensions?.find((e) => e.name === 'subjectAltName')?.altNames ?? [];
      const sans = { dnsNames: san.filter((a) => a.type === 2).map((a) => a.value), ipAddresses: san.filter((a) => a.type === 7).map((a) => a.ip) };
      const certPem = sign(cert, { ...inputs, ...sans }, inputs.caPrivateKeyPem as string, name);
      return { ...inputs, certPem, validityEndTime: cert.validity.notAfter.toISOString(), readyForRenewal: false };
    }
    default:
      return undefined;
  }
}
