/**
 * Secrets policies: environment variables (Lambda and ECS task) hold references to secrets, never
 * the secrets, and TLS private keys live only in Secrets Manager (or ACM, which imports them).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { label, validateTokens } from './validation';
import { asArray, asRecord, asString, parseJson, stringEntries } from './values';

/** Environment variable names that suggest a secret value. */
export const SENSITIVE_NAME = /key|secret|token|password|passwd|credential/i;

/** Names that say the value is a reference (an ARN, id or name), not the secret. */
const REFERENCE_NAME = /_(ARN|ID|NAME)$/i;
/** A Secrets Manager or SSM name path such as `readscore/prod/appsync`. */
const SECRET_PATH = /^\/?[A-Za-z0-9_.@+=-]+(\/[A-Za-z0-9_.@+=-]+)+$/;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Whether an environment variable looks like it holds a secret in plaintext. */
export function isPlaintextSecret(name: string, value: string): boolean {
  if (PRIVATE_KEY.test(value)) return true;
  if (!SENSITIVE_NAME.test(name) || value === '') return false;
  return !(value.startsWith('arn:') || REFERENCE_NAME.test(name) || SECRET_PATH.test(value));
}

/** `[container, variable, value]` of every plain environment variable of a resource. */
function environmentOf(type: string, props: Record<string, unknown>): [string, string, string][] {
  if (type === 'aws:lambda/function:Function') return stringEntries(asRecord(props.environment)?.variables).map(([k, v]) => ['environment.variables', k, v]);
  return asArray(parseJson(props.containerDefinitions)).flatMap((c) => {
    const container = asRecord(c);
    const name = asString(container?.name) ?? '?';
    return asArray(container?.environment).flatMap((e) => {
      const r = asRecord(e);
      const key = asString(r?.name);
      const value = asString(r?.value);
      return key !== undefined && value !== undefined ? [[`container ${name}`, key, value] as [string, string, string]] : [];
    });
  });
}

/** Lambda and task environments reference secrets (ARN or name) instead of holding them. */
export const noPlaintextSecretsInEnv: ResourceValidationPolicy = {
  name: 'no-plaintext-secrets-in-env',
  description: 'Lambda and ECS task environment variables named like key/secret/token/password must hold a Secrets Manager ARN or name, not the secret.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['lambdaFunction', 'ecsTaskDefinition'], (props, args, report) => {
    for (const [where, name, value] of environmentOf(args.type, props)) {
      if (!isPlaintextSecret(name, value)) continue;
      const fix =
        args.type === 'aws:lambda/function:Function'
          ? 'store it in Secrets Manager and pass the secret ARN or name (e.g. READSCORE_APPSYNC_SECRET) for the handler to read.'
          : 'store it in Secrets Manager and use the container "secrets" list ({ name, valueFrom: secret ARN }).';
      report(`${label(args)} ${where} ${name} holds a plaintext secret: ${fix}`);
    }
  }),
};

/** Resource types allowed to carry private key material: Secrets Manager, ACM/IAM certificate imports, the tls provider. */
const KEY_HOLDERS = /^(aws:secretsmanager\/secretVersion:SecretVersion|aws:acm\/certificate:Certificate|aws:iam\/serverCertificate:ServerCertificate|tls:.*)$/;

/** Paths of string values in `value` that contain a PEM private key (base64 user data decoded). */
export function privateKeyPaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    const nested = value.startsWith('[') || value.startsWith('{') ? parseJson(value) : undefined;
    if (nested && typeof nested === 'object') return privateKeyPaths(nested, path); // JSON text (containerDefinitions): name the inner path
    if (PRIVATE_KEY.test(value)) return [path || '(value)'];
    if (/userData(Base64)?$/.test(path) && /^[A-Za-z0-9+/=\s]{32,}$/.test(value) && PRIVATE_KEY.test(Buffer.from(value, 'base64').toString('utf8'))) return [`${path} (base64)`];
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => privateKeyPaths(v, `${path}[${i}]`));
  const record = asRecord(value);
  return record ? Object.entries(record).flatMap(([k, v]) => privateKeyPaths(v, path ? `${path}.${k}` : k)) : [];
}

/** TLS private keys reach workloads from Secrets Manager only, never through other resources' inputs. */
export const tlsKeyOnlyInSecretsManager: ResourceValidationPolicy = {
  name: 'tls-key-only-in-secrets-manager',
  description: 'TLS private key material may only appear in a Secrets Manager SecretVersion (or an ACM import), never in Lambda or task environments or other resources.',
  enforcementLevel: 'mandatory',
  validateResource: (args, report) => {
    if (KEY_HOLDERS.test(args.type)) return;
    if (!args.type.startsWith('aws:')) return args.notApplicable('Policy only applies to AWS resources');
    for (const path of privateKeyPaths(args.props)) {
      report(`${label(args)} carries a PEM private key in ${path}: put the key in an aws.secretsmanager.SecretVersion and pass the secret ARN for the workload to fetch at start.`);
    }
  },
};

/** The secrets policies. */
export const secretsPolicies: ResourceValidationPolicy[] = [noPlaintextSecretsInEnv, tlsKeyOnlyInSecretsManager];
