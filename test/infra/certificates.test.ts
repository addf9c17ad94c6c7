/**
 * TritonCertificates under mocks, with real key and certificate material from the tls mock: the chain,
 * SANs, lifetimes and key usages a TLS client checks, and where the server key may travel.
 */
import { X509Certificate } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { CA_VALIDITY_DAYS, TritonCertificates, validateCertLifetimes, validateHostName } from '../../infra/certificates';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { stackTags } from '../../infra/tags';

const HOST = 'internal-readscore-prod-triton-123.us-east-1.elb.amazonaws.com';
const KMS = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DAY_MS = 86_400_000;

/** A prod Triton stack config (the keys prod requires plus the fleet's). */
function tritonConfig(overrides: Record<string, unknown> = {}): StackConfig {
  return parseStackConfig('prod', {
    engine: 'triton',
    owner: 'reading-platform',
    costCenter: 'cc-1042',
    imageTag: 'v0.1.0',
    audioBucket: 'tutor-speech-prod',
    storyBucket: 'tutor-content-prod',
    storyKey: 'stories/story-phrases.json',
    athenaDatabase: 'tutor_prod',
    appsyncSecretName: 'readscore/prod/appsync',
    alarmEmail: 'reading-oncall@example.org',
    modelRepositoryUri: 's3://readscore-prod-models/triton/',
    certValidityDays: '90',
    certEarlyRenewalDays: '21',
    ...overrides,
  });
}

/** Builds the component directly under the stack: a rejected build then leaves nothing half-registered. */
function buildCertificates(config: StackConfig, args: { hostName: string; kmsKeyId?: string }): Promise<MockedStack> {
  return runMocked(config, (opts) => {
    new TritonCertificates('tls', { config, tags: stackTags(config), ...args }, opts);
    return {};
  });
}

function mockCertificates(config: StackConfig, hostName: string = HOST, kmsKeyId?: string): Promise<MockedStack> {
  return runMocked(config, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    const certs = new TritonCertificates('tls', { config, tags: stackTags(config), hostName, ...(kmsKeyId ? { kmsKeyId } : {}) }, { parent: root });
    return { certificateArn: certs.certificate.arn, caSecretArn: certs.caSecret.arn, serverSecretArn: certs.serverSecret.arn };
  });
}

/** A line of a PEM's base64 body: unique to that key, and free of newlines for substring checks. */
function pemLine(pem: unknown): string {
  const line = String(pem).split('\n')[3];
  if (!line || line.length < 40) throw new Error('not a PEM');
  return line;
}

const mentions = (r: RecordedResource, needle: string) => JSON.stringify(r.inputs).includes(needle);

describe('TritonCertificates', () => {
  const config = tritonConfig();
  let stack: MockedStack;
  let ca: X509Certificate;
  let server: X509Certificate;

  beforeAll(async () => {
    stack = await mockCertificates(config, HOST, KMS);
    ca = new X509Certificate(stack.one('tls:index/selfSignedCert:SelfSignedCert').state.certPem as string);
    server = new X509Certificate(stack.one('tls:index/locallySignedCert:LocallySignedCert').state.certPem as string);
  });

  it('makes a CA that is a CA, and only signs certificates', () => {
    expect(ca.ca).toBe(true);
    const input = stack.one('tls:index/selfSignedCert:SelfSignedCert').inputs;
    expect(input.allowedUses).toEqual(['cert_signing', 'crl_signing']);
    expect(stack.one('tls:index/privateKey:PrivateKey', 'ca-key').inputs.algorithm).toBe('RSA');
    const lifetimeDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / DAY_MS;
    expect(lifetimeDays).toBeCloseTo(CA_VALIDITY_DAYS, 0);
  });

  it('issues the server certificate for the host name only, signed by the CA', () => {
    expect(server.ca).toBe(false);
    expect(server.subjectAltName).toBe(`DNS:${HOST}`);
    expect(server.checkHost(HOST)).toBe(HOST);
    expect(server.checkHost('triton.example.org')).toBeUndefined();
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth, nothing else
  });

  it('makes the server certificate live certValidityDays and renew certEarlyRenewalDays before expiry', () => {
    const lifetimeDays = (Date.parse(server.validTo) - Date.parse(server.validFrom)) / DAY_MS;
    expect(Math.abs(lifetimeDays - config.certValidityDays)).toBeLessThan(1);
    const cert = stack.one('tls:index/locallySignedCert:LocallySignedCert').inputs;
    expect(cert).toMatchObject({ validityPeriodHours: 90 * 24, earlyRenewalHours: 21 * 24 });
    expect(cert.allowedUses).toEqual(expect.arrayContaining(['server_auth', 'digital_signature', 'key_encipherment']));
  });

  it('imports the locally signed certificate, its key and the CA chain to ACM', () => {
    const acm = stack.one('aws:acm/certificate:Certificate');
    expect(acm.inputs.certificateBody).toBe(stack.one('tls:index/locallySignedCert:LocallySignedCert').state.certPem);
    expect(acm.inputs.certificateChain).toBe(stack.one('tls:index/selfSignedCert:SelfSignedCert').state.certPem);
    expect(acm.inputs.privateKey).toBe(stack.one('tls:index/privateKey:PrivateKey', 'server-key').state.privateKeyPem);
    expect(acm.secretPaths).toContain('privateKey');
    expect(acm.parent).toBe('readscore:index:TritonCertificates::tls');
    expect(stack.outputs.certificateArn).toBe(acm.state.arn);
  });

  it('keeps the server key out of every resource but the CSR, ACM and the server secret version, where it is a Pulumi secret', () => {
    const serverKey = pemLine(stack.one('tls:index/privateKey:PrivateKey', 'server-key').state.privateKeyPem);
    const holders = stack.resources.filter((r) => mentions(r, serverKey));
    expect(holders.map((r) => r.type).sort()).toEqual(['aws:acm/certificate:Certificate', 'aws:secretsmanager/secretVersion:SecretVersion', 'tls:index/certRequest:CertRequest']);
    const version = holders.find((r) => r.type === 'aws:secretsmanager/secretVersion:SecretVersion') as RecordedResource;
    expect(version.secretPaths).toContain('secretString');
    expect(stack.byRef(version.inputs.secretId)).toBe(stack.one('aws:secretsmanager/secret:Secret', 'server-tls'));
    const { cert, key } = JSON.parse(version.inputs.secretString as string) as { cert: string; key: string };
    expect(new X509Certificate(cert).fingerprint256).toBe(server.fingerprint256);
    expect(key).toContain(serverKey);
  });

  it('keeps the CA key in the tls resources only', () => {
    const caKey = pemLine(stack.one('tls:index/privateKey:PrivateKey', 'ca-key').state.privateKeyPem);
    expect(stack.resources.filter((r) => mentions(r, caKey) && !r.type.startsWith('tls:'))).toEqual([]);
  });

  it('stores the CA PEM alone in the CA secret, encrypted with the given KMS key', () => {
    const secret = stack.one('aws:secretsmanager/secret:Secret', 'triton-ca');
    expect(secret.inputs).toMatchObject({ name: 'readscore/prod/triton-ca', kmsKeyId: KMS });
    const version = stack.ofType('aws:secretsmanager/secretVersion:SecretVersion').find((v) => stack.byRef(v.inputs.secretId) === secret) as RecordedResource;
    expect(version.secretPaths).toContain('secretString');
    expect(new X509Certificate(version.inputs.secretString as string).fingerprint256).toBe(ca.fingerprint256);
    expect(stack.outputs.caSecretArn).toBe(secret.state.arn);
    expect(stack.one('aws:secretsmanager/secret:Secret', 'server-tls').inputs.kmsKeyId).toBe(KMS);
  });

  it('uses the AWS-managed key when no KMS key is given', async () => {
    const plain = await mockCertificates(config);
    for (const secret of plain.ofType('aws:secretsmanager/secret:Secret')) expect(secret.inputs.kmsKeyId).toBeUndefined();
  });

  it('refuses a missing or malformed host name and an empty KMS key before registering anything', async () => {
    await expect(buildCertificates(config, { hostName: '' })).rejects.toThrow('args.hostName is required');
    await expect(buildCertificates(config, { hostName: 'https://triton.internal' })).rejects.toThrow('args.hostName "https://triton.internal" must be a DNS name');
    await expect(buildCertificates(config, { hostName: HOST, kmsKeyId: '' })).rejects.toThrow('args.kmsKeyId must not be empty');
  });
});

describe('validateHostName', () => {
  it('accepts DNS names and names the argument otherwise', () => {
    expect(validateHostName(HOST)).toBe(HOST);
    expect(() => validateHostName('10.0.0.1:443')).toThrow('args.hostName');
    expect(() => validateHostName('localhost')).toThrow('args.hostName');
  });
});

describe('validateCertLifetimes', () => {
  it('requires renewal to start before expiry, naming the key', () => {
    expect(() => validateCertLifetimes({ certValidityDays: 365, certEarlyRenewalDays: 30 })).not.toThrow();
    expect(() => validateCertLifetimes({ certValidityDays: 30, certEarlyRenewalDays: 30 })).toThrow('config.certEarlyRenewalDays');
    expect(() => validateCertLifetimes({ certValidityDays: 0, certEarlyRenewalDays: 1 })).toThrow('config.certValidityDays');
  });
});
