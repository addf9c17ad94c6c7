/**
 * The Triton path's TLS material, made in the stack with @pulumi/tls: a private CA and a server
 * certificate for the ALB's DNS name, imported to ACM for the HTTPS listener and kept in Secrets
 * Manager (the CA for the scoring Lambda's verifier, cert + key for Triton's own gRPC TLS).
 *
 * Rotation: the server certificate carries `earlyRenewalHours`, so the first `pulumi up` inside the
 * renewal window replaces it; ACM re-imports the new body into the same certificate ARN and the
 * listener serves it at once, while the CA (and so the Lambda's trust) stays the same.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import type { StackConfig } from './config';
import { resourceName, type Tags } from './tags';

/** Arguments of {@link TritonCertificates}. */
export interface TritonCertificatesArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
  /** The DNS name clients connect to (the internal ALB's `dnsName`): the server cert's only SAN. */
  readonly hostName: pulumi.Input<string>;
  /** KMS key (id or ARN) for the two secrets; omitted = the Secrets Manager AWS-managed key. */
  readonly kmsKeyId?: pulumi.Input<string>;
}

/**
 * The CA outlives many server certificates: rotating it means every client must trust the new CA
 * first, so it is a planned operation (runbook "cert rotation"), not a side effect of `pulumi up`.
 */
export const CA_VALIDITY_DAYS = 3650;
/** The CA renews (on a `pulumi up`) in its last year. */
export const CA_EARLY_RENEWAL_DAYS = 365;
/** RSA sizes: 2048 for the server key (what every ALB listener accepts for imported certs), 3072 for the CA. */
export const SERVER_RSA_BITS = 2048;
export const CA_RSA_BITS = 3072;

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** Checks a host name for the server certificate; throws naming `hostName`. */
export function validateHostName(hostName: string): string {
  if (!DNS_NAME.test(hostName)) throw new Error(`TritonCertificates: args.hostName "${hostName}" must be a DNS name (the ALB's dnsName)`);
  return hostName;
}

/** Checks the certificate lifetimes of a config; throws naming the config key. */
export function validateCertLifetimes(config: Pick<StackConfig, 'certValidityDays' | 'certEarlyRenewalDays'>): void {
  const { certValidityDays, certEarlyRenewalDays } = config;
  if (!Number.isInteger(certValidityDays) || certValidityDays < 1) throw new Error(`config.certValidityDays: ${certValidityDays} must be a positive whole number of days`);
  if (!Number.isInteger(certEarlyRenewalDays) || certEarlyRenewalDays < 1 || certEarlyRenewalDays >= certValidityDays)
    throw new Error(`config.certEarlyRenewalDays: ${certEarlyRenewalDays} must be a whole number of days shorter than certValidityDays (${certValidityDays})`);
  if (certValidityDays >= CA_VALIDITY_DAYS - CA_EARLY_RENEWAL_DAYS) throw new Error(`config.certValidityDays: ${certValidityDays} must be shorter than the CA's renewal point`);
}

/** The private CA, the server certificate, their ACM import and Secrets Manager copies. */
export class TritonCertificates extends pulumi.ComponentResource {
  readonly caKey: tls.PrivateKey;
  readonly caCert: tls.SelfSignedCert;
  readonly serverKey: tls.PrivateKey;
  readonly serverCert: tls.LocallySignedCert;
  /** The server certificate imported to ACM: the ALB listener's certificate. */
  readonly certificate: aws.acm.Certificate;
  /** CA PEM: what the scoring Lambda's `READSCORE_TRITON_CA_SECRET` names. */
  readonly caSecret: aws.secretsmanager.Secret;
  /** `{"cert": PEM, "key": PEM}`: Triton's gRPC TLS identity, injected into the task via `secrets`. */
  readonly serverSecret: aws.secretsmanager.Secret;

  constructor(name: string, args: TritonCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything registers; a host name known only at deploy time is checked when it resolves.
    const { config, tags, hostName, kmsKeyId } = args ?? ({} as Partial<TritonCertificatesArgs>);
    if (!config) throw new Error('TritonCertificates: args.config is required');
    if (!tags) throw new Error('TritonCertificates: args.tags is required');
    if (hostName === undefined || hostName === null || hostName === '') throw new Error('TritonCertificates: args.hostName is required');
    if (typeof hostName === 'string') validateHostName(hostName);
    if (kmsKeyId === '') throw new Error('TritonCertificates: args.kmsKeyId must not be empty (omit it for the AWS-managed key)');
    validateCertLifetimes(config);
    super('readscore:index:TritonCertificates', name, {}, opts);
    const child = { parent: this };
    const hours = (days: number) => days * 24;
    const organization = 'ReadScore';

    this.caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: 'RSA', rsaBits: CA_RSA_BITS }, child);
    this.caCert = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: this.caKey.privateKeyPem,
        subject: { commonName: `ReadScore ${config.environment} Triton CA`, organization },
        isCaCertificate: true,
        // The CA signs server certificates only: no intermediates under it.
        maxPathLength: 0,
        allowedUses: ['cert_signing', 'crl_signing'],
        validityPeriodHours: hours(CA_VALIDITY_DAYS),
        earlyRenewalHours: hours(CA_EARLY_RENEWAL_DAYS),
        setSubjectKeyId: true,
      },
      child,
    );

    this.serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: 'RSA', rsaBits: SERVER_RSA_BITS }, child);
    const request = new tls.CertRequest(
      `${name}-server-csr`,
      {
        privateKeyPem: this.serverKey.privateKeyPem,
        // The CN is a label (ALB names exceed the CN's 64 characters); clients match the SAN.
        subject: { commonName: 'readscore-triton', organization },
        dnsNames: [pulumi.output(hostName).apply(validateHostName)],
      },
      child,
    );
    this.serverCert = new tls.LocallySignedCert(
      `${name}-server`,
      {
        certRequestPem: request.certRequestPem,
        caCertPem: this.caCert.certPem,
        caPrivateKeyPem: this.caKey.privateKeyPem,
        allowedUses: ['server_auth', 'digital_signature', 'key_encipherment'],
        validityPeriodHours: hours(config.certValidityDays),
        // Inside this window `pulumi up` replaces the certificate: rotation well before expiry.
        earlyRenewalHours: hours(config.certEarlyRenewalDays),
        setSubjectKeyId: true,
      },
      child,
    );

    // A renewal changes the body, which ACM re-imports in place (same ARN, no listener change). A change
    // that forces a new ACM certificate must create it first: the listener moves to the new ARN, and
    // only then is the old one deleted (ACM refuses to delete a certificate a listener still uses, and
    // deleting first would leave the listener without one). `deleteBeforeReplace: false` pins that order.
    this.certificate = new aws.acm.Certificate(
      `${name}-acm`,
      {
        certificateBody: this.serverCert.certPem,
        privateKey: pulumi.secret(this.serverKey.privateKeyPem),
        certificateChain: this.caCert.certPem,
        tags: { ...tags, Name: resourceName(config, 'triton-tls') },
      },
      { parent: this, deleteBeforeReplace: false },
    );

    const secret = (part: string, description: string) =>
      new aws.secretsmanager.Secret(
        `${name}-${part}`,
        {
          name: `readscore/${config.environment}/${part}`,
          description,
          ...(kmsKeyId ? { kmsKeyId } : {}),
          // Short enough that a re-created stack can reuse the name within a week.
          recoveryWindowInDays: 7,
          tags,
        },
        child,
      );
    this.caSecret = secret('triton-ca', 'PEM of the private CA that signs the Triton ALB certificate (the scoring Lambda verifies against it)');
    this.serverSecret = secret('triton-server-tls', 'Triton gRPC TLS identity {"cert","key"} (PEM), read by the ECS task execution role only');
    // The CA certificate is public, but its secret value is marked secret all the same: state and
    // previews treat every secret value alike.
    new aws.secretsmanager.SecretVersion(`${name}-triton-ca-version`, { secretId: this.caSecret.id, secretString: pulumi.secret(this.caCert.certPem) }, child);
    new aws.secretsmanager.SecretVersion(
      `${name}-triton-server-tls-version`,
      {
        secretId: this.serverSecret.id,
        secretString: pulumi.secret(pulumi.all([this.serverCert.certPem, this.serverKey.privateKeyPem]).apply(([cert, key]) => JSON.stringify({ cert, key }))),
      },
      child,
    );

    this.registerOutputs({
      certificateArn: this.certificate.arn,
      caSecretArn: this.caSecret.arn,
      serverSecretArn: this.serverSecret.arn,
      serverCertNotAfter: this.serverCert.validityEndTime,
    });
  }
}
