/** The CI deploy identity: who may assume the role, and what the role may do. */
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import {
  CONDITIONAL_STAR_WRITE_ACTIONS,
  DEPLOY_SESSION_SEC,
  DeployIdentity,
  deployPolicies,
  deployTrustPolicy,
  githubSubjects,
  type PolicyDocument,
  type PolicyStatement,
} from '../../infra/deployIdentity';
import { type MockedStack, runMocked } from '../../infra/mock/harness';
import { stackTags } from '../../infra/tags';

const base = {
  owner: 'reading-platform',
  costCenter: 'cc-1042',
  imageTag: 'v1',
  audioBucket: 'tutor-speech-prod',
  storyBucket: 'tutor-content-prod',
  storyKey: 'stories/story-phrases.json',
  athenaDatabase: 'tutor_prod',
  appsyncSecretName: 'readscore/prod/appsync',
  alarmEmail: 'oncall@example.org',
  githubRepository: 'readscore/readscore',
};
const prodConfig = (extra: Record<string, string> = {}) =>
  parseStackConfig('prod', { ...base, engine: 'triton', modelRepositoryUri: 's3://readscore-prod-models/triton/', githubBranch: 'main', ...extra });
const SCOPE = { partition: 'aws', region: 'us-east-1', accountId: '123456789012', environment: 'prod', engine: 'triton', appsyncSecretName: 'readscore/prod/appsync' } as const;

const actions = (s: PolicyStatement): string[] => (Array.isArray(s.Action) ? [...s.Action] : [s.Action as string]);
const resources = (s: PolicyStatement): string[] => (s.Resource === undefined ? [] : Array.isArray(s.Resource) ? [...s.Resource] : [s.Resource as string]);
const allows = (doc: PolicyDocument) => doc.Statement.filter((s) => s.Effect === 'Allow');

async function build(config: StackConfig): Promise<{ stack: MockedStack; identity: DeployIdentity }> {
  let identity: DeployIdentity | undefined;
  const stack = await runMocked(config, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    identity = new DeployIdentity('deploy', { config, tags: stackTags(config) }, { parent: root });
    return { roleArn: identity.role.arn };
  });
  if (!identity) throw new Error('the program did not run');
  return { stack, identity };
}

describe('deployTrustPolicy', () => {
  const policy = deployTrustPolicy('arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com', prodConfig());

  it('lets only GitHub’s OIDC provider assume the role, with web identity', () => {
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    expect(statement?.Principal).toEqual({ Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' });
    expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
  });

  it('requires the sts audience and exactly the deploy branch and the stack’s environment as subject', () => {
    expect(policy.Statement[0]?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': ['repo:readscore/readscore:ref:refs/heads/main', 'repo:readscore/readscore:environment:prod'],
      },
    });
    expect(JSON.stringify(policy)).not.toContain('*');
  });

  it('follows readscore:githubBranch and refuses a stack without readscore:githubRepository', () => {
    expect(githubSubjects(prodConfig({ githubBranch: 'release' }))[0]).toBe('repo:readscore/readscore:ref:refs/heads/release');
    const { githubRepository: _, ...withoutRepo } = base;
    const config = parseStackConfig('dev', { ...withoutRepo, engine: 'cpu' });
    expect(() => githubSubjects(config)).toThrow('readscore:githubRepository is required');
  });
});

describe('deployPolicies', () => {
  const docs = deployPolicies(SCOPE);
  const all = [docs.read, docs.core, docs.data, docs.iam, ...(docs.gpu ? [docs.gpu] : [])];

  it('grants no "*" or "service:*" action', () => {
    for (const doc of all) for (const s of allows(doc)) for (const a of actions(s)) expect(a).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
  });

  it('allows "*" resources without a condition only for Describe/List/Get', () => {
    for (const doc of all)
      for (const s of allows(doc).filter((st) => resources(st).includes('*') && !st.Condition))
        for (const a of actions(s)) expect(a).toMatch(/^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/);
  });

  it('allows writes on "*" only for the actions AWS gives no ARN, each under a condition', () => {
    const starWrites = all
      .flatMap(allows)
      .filter((s) => resources(s).includes('*'))
      .flatMap((s) =>
        actions(s)
          .filter((a) => !/^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/.test(a))
          .map((a) => ({ a, conditioned: Boolean(s.Condition) })),
      );
    expect(starWrites.map((w) => w.a).sort()).toEqual([...CONDITIONAL_STAR_WRITE_ACTIONS].sort());
    for (const w of starWrites) expect(w).toEqual({ a: w.a, conditioned: true });
  });

  it('grants no Get* wildcard on "*" (no object, secret or log reads across the account)', () => {
    for (const doc of all) for (const s of allows(doc).filter((st) => resources(st).includes('*'))) for (const a of actions(s)) expect(a).not.toMatch(/:Get\*$/);
  });

  it('scopes named resources to readscore-<env>-* (ARNs with random ids: by tag or function condition)', () => {
    const core = docs.core.Statement.find((s) => s.Sid === 'Queues');
    expect(resources(core as PolicyStatement)).toEqual(['arn:aws:sqs:us-east-1:123456789012:readscore-prod-*']);
    for (const s of [docs.core, docs.data, docs.iam].flatMap(allows))
      for (const r of resources(s).filter((x) => x !== '*' && !s.Condition)) expect(r).toMatch(/readscore-prod-\*|readscore\/prod\//);
  });

  it('attaches only stack policies or the listed AWS managed ones, never AdministratorAccess', () => {
    const attach = docs.iam.Statement.find((s) => s.Sid === 'AttachOnlyStackOrListedPolicies');
    const allowed = (attach?.Condition?.ArnLike?.['iam:PolicyARN'] ?? []) as string[];
    expect(allowed).toContain('arn:aws:iam::123456789012:policy/readscore-prod-*');
    expect(allowed.some((arn) => /AdministratorAccess|PowerUserAccess|IAMFullAccess/.test(arn))).toBe(false);
    expect(JSON.stringify(all)).not.toContain('AdministratorAccess');
  });

  it('denies the role any change to itself, its policies or the OIDC provider', () => {
    const deny = docs.iam.Statement.find((s) => s.Effect === 'Deny');
    expect(resources(deny as PolicyStatement)).toEqual([
      'arn:aws:iam::123456789012:role/readscore-prod-deploy',
      'arn:aws:iam::123456789012:policy/readscore-prod-deploy-*',
      'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    ]);
    expect(actions(deny as PolicyStatement)).toEqual(expect.arrayContaining(['iam:Put*', 'iam:Attach*', 'iam:Update*', 'iam:Create*']));
  });

  it('passes stack roles only to the services that run them', () => {
    const pass = docs.iam.Statement.find((s) => actions(s).includes('iam:PassRole'));
    expect(resources(pass as PolicyStatement)).toEqual(['arn:aws:iam::123456789012:role/readscore-prod-*']);
    expect(pass?.Condition?.StringEquals?.['iam:PassedToService']).toEqual(expect.arrayContaining(['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com']));
  });

  it('adds the GPU policy only with engine triton, and keeps each policy under IAM’s 6,144 characters', () => {
    expect(deployPolicies({ ...SCOPE, engine: 'cpu' }).gpu).toBeUndefined();
    for (const doc of all) expect(JSON.stringify(doc).replace(/\s/g, '').length).toBeLessThan(6144);
  });
});

describe('DeployIdentity under mocks', () => {
  let stack: MockedStack;
  let identity: DeployIdentity;
  beforeAll(async () => {
    ({ stack, identity } = await build(prodConfig()));
  });

  it('registers GitHub’s OIDC provider for the sts audience', () => {
    const provider = stack.one('aws:iam/openIdConnectProvider:OpenIdConnectProvider');
    expect(provider.inputs).toMatchObject({ url: 'https://token.actions.githubusercontent.com', clientIdLists: ['sts.amazonaws.com'] });
    expect(provider.parent).toBe('readscore:index:DeployIdentity::deploy');
  });

  it('trusts the provider for the repository’s branch and environment, for at most an hour', () => {
    const provider = stack.one('aws:iam/openIdConnectProvider:OpenIdConnectProvider');
    const role = stack.one('aws:iam/role:Role');
    expect(role.inputs.maxSessionDuration).toBe(DEPLOY_SESSION_SEC);
    expect(role.inputs.name).toBe('readscore-prod-deploy');
    const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as PolicyDocument;
    expect(trust).toEqual(deployTrustPolicy(provider.state.arn as string, prodConfig()));
  });

  it('attaches the deploy policies and no AWS managed policy', () => {
    const role = stack.one('aws:iam/role:Role');
    expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    const attachments = stack.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment');
    expect(attachments).toHaveLength(5);
    const policies = stack.ofType('aws:iam/policy:Policy');
    for (const attachment of attachments) {
      expect(attachment.inputs.role).toBe(role.state.name);
      expect(attachment.inputs.policyArn).not.toMatch(/AdministratorAccess|arn:aws:iam::aws:policy\//);
      expect(policies.map((p) => p.state.arn)).toContain(attachment.inputs.policyArn);
    }
    expect(Object.keys(identity.policies).sort()).toEqual(['core', 'data', 'gpu', 'iam', 'read']);
    const core = stack.one('aws:iam/policy:Policy', 'deploy-core');
    expect(JSON.parse(core.inputs.policy as string)).toEqual(deployPolicies(SCOPE).core);
  });

  it('leaves out the GPU policy on a CPU stack', async () => {
    const { stack: cpu } = await build(parseStackConfig('dev', { ...base, appsyncSecretName: 'readscore/dev/appsync', engine: 'cpu' }));
    expect(cpu.ofType('aws:iam/policy:Policy').map((p) => p.inputs.name)).toEqual([
      'readscore-dev-deploy-read',
      'readscore-dev-deploy-core',
      'readscore-dev-deploy-data',
      'readscore-dev-deploy-iam',
    ]);
  });
});
