/** IAM policies against RolePolicy, Policy, Role (inline policies, managed ARNs) and attachments. */
import type * as aws from '@pulumi/aws';
import { iamNoAdminPolicy, iamNoWildcardAction, iamNoWildcardResourceWrite, isReadOnlyAction } from '../../policies/iam';
import { checkResource } from './policyHarness';

const RP = 'aws:iam/rolePolicy:RolePolicy';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const scoped = {
  role: 'scorer',
  policy: doc(
    { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], Resource: 'arn:aws:sqs:us-east-1:123456789012:readscore-dev-scoring' },
    { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'cloudwatch:PutMetricData'], Resource: '*' },
  ),
} satisfies aws.iam.RolePolicyArgs;

describe('iam-no-wildcard-action', () => {
  it('passes named actions', async () => {
    expect(await checkResource(iamNoWildcardAction, RP, scoped)).toEqual([]);
  });

  it('fails Action "*" and NotAction, in role policies, managed policies and inline role policies', async () => {
    const star = { role: 'scorer', policy: doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::readscore-dev-results/*' }) } satisfies aws.iam.RolePolicyArgs;
    expect(await checkResource(iamNoWildcardAction, RP, star, { name: 'scorer' })).toEqual([
      `${RP} scorer policy allows Action "*": name the actions it needs (e.g. "sqs:ReceiveMessage", "s3:GetObject").`,
    ]);
    const managed = { policy: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }) } satisfies aws.iam.PolicyArgs;
    expect(await checkResource(iamNoWildcardAction, 'aws:iam/policy:Policy', managed, { name: 'deploy' })).toEqual([
      'aws:iam/policy:Policy deploy policy allows everything except NotAction [iam:*]: replace NotAction with the Action list it needs.',
    ]);
    const role = { assumeRolePolicy: doc(), inlinePolicies: [{ name: 'all', policy: doc({ Effect: 'Allow', Action: ['*'], Resource: ['*'] }) }] } satisfies aws.iam.RoleArgs;
    expect(await checkResource(iamNoWildcardAction, 'aws:iam/role:Role', role, { name: 'r' })).toEqual([
      'aws:iam/role:Role r inline policy all allows Action "*": name the actions it needs (e.g. "sqs:ReceiveMessage", "s3:GetObject").',
    ]);
  });
});

describe('iam-no-wildcard-resource-write', () => {
  it('passes reads and Resource-"*"-only actions on "*", and writes on named ARNs', async () => {
    expect(await checkResource(iamNoWildcardResourceWrite, RP, scoped)).toEqual([]);
    expect(isReadOnlyAction('s3:Get*')).toBe(true);
    expect(isReadOnlyAction('s3:*')).toBe(false);
  });

  it('passes an ARN-less create action on "*" only under a tag Condition', async () => {
    const create = (Condition?: object) =>
      ({
        policy: doc({ Effect: 'Allow', Action: ['ecs:RegisterTaskDefinition', 'ecs:TagResource'], Resource: '*', ...(Condition ? { Condition } : {}) }),
      }) satisfies aws.iam.PolicyArgs;
    const tagged = create({ StringEquals: { 'aws:RequestTag/project': 'readscore', 'aws:RequestTag/environment': 'prod' } });
    expect(await checkResource(iamNoWildcardResourceWrite, 'aws:iam/policy:Policy', tagged)).toEqual([]);
    expect(await checkResource(iamNoWildcardResourceWrite, 'aws:iam/policy:Policy', create(), { name: 'deploy' })).toEqual([
      'aws:iam/policy:Policy deploy policy allows "ecs:RegisterTaskDefinition", "ecs:TagResource" on Resource "*": set Resource to the ARNs these actions need (ecs:RegisterTaskDefinition, ecs:TagResource take no ARN: scope them with a Condition on aws:RequestTag/*, aws:ResourceTag/* or lambda:FunctionArn).',
    ]);
  });

  it('fails write actions on Resource "*"', async () => {
    const wide = { role: 'scorer', policy: doc({ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 'sqs:*'], Resource: '*' }) } satisfies aws.iam.RolePolicyArgs;
    expect(await checkResource(iamNoWildcardResourceWrite, RP, wide, { name: 'scorer' })).toEqual([
      `${RP} scorer policy allows "s3:PutObject", "sqs:*" on Resource "*": set Resource to the ARNs these actions need.`,
    ]);
  });
});

describe('iam-no-admin-policy', () => {
  it('passes a scoped policy and a scoped managed attachment', async () => {
    expect(await checkResource(iamNoAdminPolicy, RP, scoped)).toEqual([]);
    const attachment = { role: 'scorer', policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' } satisfies aws.iam.RolePolicyAttachmentArgs;
    expect(await checkResource(iamNoAdminPolicy, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', attachment)).toEqual([]);
  });

  it('fails inline "*" on "*", an AdministratorAccess attachment and managed ARN', async () => {
    const admin = { role: 'scorer', policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) } satisfies aws.iam.RolePolicyArgs;
    expect(await checkResource(iamNoAdminPolicy, RP, admin, { name: 'scorer' })).toEqual([
      `${RP} scorer policy grants administrator access (Action "*" on Resource "*"): replace it with the actions and resource ARNs the role needs.`,
    ]);
    const attachment = { role: 'deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } satisfies aws.iam.RolePolicyAttachmentArgs;
    expect(await checkResource(iamNoAdminPolicy, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', attachment, { name: 'deploy' })).toEqual([
      'aws:iam/rolePolicyAttachment:RolePolicyAttachment deploy attaches arn:aws:iam::aws:policy/AdministratorAccess: attach a policy with only the actions and resources the role needs.',
    ]);
    const role = { assumeRolePolicy: doc(), managedPolicyArns: ['arn:aws:iam::aws:policy/PowerUserAccess'] } satisfies aws.iam.RoleArgs;
    const [message] = await checkResource(iamNoAdminPolicy, 'aws:iam/role:Role', role, { name: 'deploy' });
    expect(message).toBe('aws:iam/role:Role deploy attaches arn:aws:iam::aws:policy/PowerUserAccess: attach a policy with only the actions and resources the role needs.');
  });
});
