/** Secrets policies: references, not secrets, in environments; private keys only in Secrets Manager. */
import { generateKeyPairSync } from 'node:crypto';
import type * as aws from '@pulumi/aws';
import { isPlaintextSecret, noPlaintextSecretsInEnv, tlsKeyOnlyInSecretsManager } from '../../policies/secrets';
import { checkResource } from './policyHarness';

const FN = 'aws:lambda/function:Function';
const TD = 'aws:ecs/taskDefinition:TaskDefinition';
/** A real PEM private key, generated per run (no key material in the repository). */
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const lambda = (variables: Record<string, string>) =>
  ({
    role: 'arn:aws:iam::123456789012:role/scorer',
    packageType: 'Image',
    imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1',
    environment: { variables },
  }) satisfies aws.lambda.FunctionArgs;
const task = (environment: { name: string; value: string }[]) =>
  ({
    family: 'triton',
    containerDefinitions: JSON.stringify([{ name: 'triton', image: 'nvcr.io/nvidia/tritonserver:24.08-py3', environment }]),
  }) satisfies aws.ecs.TaskDefinitionArgs;

describe('no-plaintext-secrets-in-env', () => {
  it('passes secret references: ARNs, names, *_ID/*_ARN variables', async () => {
    const refs = {
      READSCORE_APPSYNC_SECRET: 'readscore/dev/appsync',
      READSCORE_TRITON_CA_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:readscore/dev/triton-ca-AbCdEf',
      READSCORE_RESULTS_KMS_KEY_ID: '1234abcd-12ab-34cd-56ef-1234567890ab',
      READSCORE_ENGINE: 'cpu',
    };
    expect(await checkResource(noPlaintextSecretsInEnv, FN, lambda(refs))).toEqual([]);
    expect(await checkResource(noPlaintextSecretsInEnv, TD, task([{ name: 'TLS_SECRET_ARN', value: 'arn:aws:secretsmanager:us-east-1:1:secret:x' }]))).toEqual([]);
  });

  it('fails a password in a Lambda environment and a token in a task environment', async () => {
    expect(await checkResource(noPlaintextSecretsInEnv, FN, lambda({ API_TOKEN: 'tok_live_abc123' }), { name: 'scorer' })).toEqual([
      `${FN} scorer environment.variables API_TOKEN holds a plaintext secret: store it in Secrets Manager and pass the secret ARN or name (e.g. READSCORE_APPSYNC_SECRET) for the handler to read.`,
    ]);
    expect(await checkResource(noPlaintextSecretsInEnv, TD, task([{ name: 'DB_PASSWORD', value: 'hunter2' }]), { name: 'triton' })).toEqual([
      `${TD} triton container triton DB_PASSWORD holds a plaintext secret: store it in Secrets Manager and use the container "secrets" list ({ name, valueFrom: secret ARN }).`,
    ]);
    expect(isPlaintextSecret('TLS_CERT', pem)).toBe(true);
  });
});

describe('tls-key-only-in-secrets-manager', () => {
  it('passes a key in a Secrets Manager SecretVersion and key-free resources', async () => {
    const version = { secretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x', secretString: JSON.stringify({ key: pem }) } satisfies aws.secretsmanager.SecretVersionArgs;
    expect(await checkResource(tlsKeyOnlyInSecretsManager, 'aws:secretsmanager/secretVersion:SecretVersion', version)).toEqual([]);
    expect(await checkResource(tlsKeyOnlyInSecretsManager, FN, lambda({ READSCORE_ENGINE: 'triton' }))).toEqual([]);
  });

  it('fails a key in a Lambda env, a task env, an SSM parameter and base64 user data', async () => {
    const fix = 'put the key in an aws.secretsmanager.SecretVersion and pass the secret ARN for the workload to fetch at start.';
    expect(await checkResource(tlsKeyOnlyInSecretsManager, FN, lambda({ TLS_CLIENT: pem }), { name: 'scorer' })).toEqual([
      `${FN} scorer carries a PEM private key in environment.variables.TLS_CLIENT: ${fix}`,
    ]);
    expect(await checkResource(tlsKeyOnlyInSecretsManager, TD, task([{ name: 'TLS', value: pem }]), { name: 'triton' })).toEqual([
      `${TD} triton carries a PEM private key in containerDefinitions[0].environment[0].value: ${fix}`,
    ]);
    const parameter = { name: '/readscore/tls', type: 'SecureString', value: pem } satisfies aws.ssm.ParameterArgs;
    expect(await checkResource(tlsKeyOnlyInSecretsManager, 'aws:ssm/parameter:Parameter', parameter, { name: 'tls' })).toEqual([
      `aws:ssm/parameter:Parameter tls carries a PEM private key in value: ${fix}`,
    ]);
    const template = { imageId: 'ami-1', userData: Buffer.from(`#!/bin/bash\ncat > /etc/tls.key <<EOF\n${pem}EOF\n`).toString('base64') } satisfies aws.ec2.LaunchTemplateArgs;
    expect(await checkResource(tlsKeyOnlyInSecretsManager, 'aws:ec2/launchTemplate:LaunchTemplate', template, { name: 'gpu' })).toEqual([
      `aws:ec2/launchTemplate:LaunchTemplate gpu carries a PEM private key in userData (base64): ${fix}`,
    ]);
  });
});
