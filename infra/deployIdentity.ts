/**
 * The CI deploy identity: GitHub Actions' OIDC provider and a role that only this repository's
 * deploy branch or its `environment:<env>` jobs can assume, with permissions scoped to this stack's
 * resources (`readscore-<env>-*` names, or the stack's tags where AWS gives resources random ids).
 * No long-lived keys and no AdministratorAccess.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import type { Tags } from './tags';

/** GitHub Actions' OIDC issuer. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience configure-aws-credentials requests. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/** The longest a deploy session lasts, s. */
export const DEPLOY_SESSION_SEC = 3600;

/** An IAM policy statement as IAM reads it. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: Readonly<Record<string, string>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** Arguments of {@link DeployIdentity}. */
export interface DeployIdentityArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
}

/** Where the deploy policy applies. */
export interface DeployScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly environment: string;
  readonly engine: StackConfig['engine'];
  /** Secret the stack reads but does not own (`readscore:appsyncSecretName`). */
  readonly appsyncSecretName: string;
}

/** The deploy role's name (its policies are `<name>-read`, `-core`, `-gpu`). */
export function deployRoleName(environment: string): string {
  return `readscore-${environment}-deploy`;
}

/** The OIDC subjects allowed to deploy: the deploy branch, and jobs running in the stack's GitHub environment. */
export function githubSubjects(config: Pick<StackConfig, 'githubRepository' | 'githubBranch' | 'environment'>): string[] {
  if (!config.githubRepository) throw new Error('DeployIdentity: readscore:githubRepository is required (owner/name)');
  return [`repo:${config.githubRepository}:ref:refs/heads/${config.githubBranch}`, `repo:${config.githubRepository}:environment:${config.environment}`];
}

/** The role's trust policy: AssumeRoleWithWebIdentity from GitHub's OIDC provider, exact audience and subjects. */
export function deployTrustPolicy(providerArn: string, config: Pick<StackConfig, 'githubRepository' | 'githubBranch' | 'environment'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GitHubActionsDeploy',
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        // StringEquals, not StringLike: no other branch, tag, pull request or environment matches.
        Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: githubSubjects(config) } },
      },
    ],
  };
}

/**
 * Write actions the deploy policies allow on `"*"`, each only under a condition (the stack's tags or
 * its functions): AWS offers no resource ARN for them. The policy gate's `iam-no-wildcard-resource-write`
 * must accept exactly these.
 */
export const CONDITIONAL_STAR_WRITE_ACTIONS = [
  'kms:CreateKey',
  'kms:TagResource',
  'lambda:CreateEventSourceMapping',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'ecs:DeregisterTaskDefinition',
] as const;

/** AWS managed policies the stack's own roles may attach (nothing broader). */
const ATTACHABLE_AWS_POLICIES = [
  'service-role/AWSLambdaBasicExecutionRole',
  'service-role/AmazonECSTaskExecutionRolePolicy',
  'service-role/AmazonEC2ContainerServiceforEC2Role',
  'AmazonSSMManagedInstanceCore',
  'CloudWatchAgentServerPolicy',
] as const;

/** The deploy policies by part; each becomes the managed policy `readscore-<env>-deploy-<part>`. */
export interface DeployPolicies {
  readonly read: PolicyDocument;
  readonly core: PolicyDocument;
  readonly data: PolicyDocument;
  readonly iam: PolicyDocument;
  readonly gpu?: PolicyDocument;
}

/** The parts of {@link DeployPolicies} a stack attaches. */
export function deployPolicyParts(engine: StackConfig['engine']): (keyof DeployPolicies)[] {
  return engine === 'triton' ? ['read', 'core', 'data', 'iam', 'gpu'] : ['read', 'core', 'data', 'iam'];
}

/**
 * The deploy policies, one per managed policy (each under IAM's 6,144-character limit):
 *
 * - `read`: Describe/List/Get on `"*"`, because these calls accept no resource ARN (EC2, ELB, Auto
 *   Scaling, ECS task definitions, KMS keys and ACM certificates by random id, the account-wide
 *   List calls) and Pulumi's refresh and diff need them. Metadata only: no `Get*` wildcards, so no
 *   object, secret value, parameter or log read.
 * - `core` (queues, functions, logs, alarms, topic, keys, image repository), `data` (results bucket,
 *   Athena workgroup, schedules, secrets) and `iam` (the stack's roles): by `readscore-<env>-*` ARN.
 *   KMS `CreateKey` has no resource ARN, so it is allowed on `"*"` only with the stack's tags on the
 *   request; keys are then managed by tag. Event source mappings have UUID ARNs: allowed by the
 *   `lambda:FunctionArn` condition.
 * - `gpu` (engine triton): ELB, Auto Scaling and ECS by name; EC2 networking, launch templates, ACM
 *   imports and scaling targets by region/account ARN pattern plus the stack's tags
 *   (`aws:RequestTag` on create, `aws:ResourceTag` after). ECS task definitions take no resource
 *   ARN: registered on `"*"` with the stack's tags on the request. AWS evaluates tag conditions per resource of a call: an AccessDenied on the first GPU
 *   deploy names the action and resource to add here.
 *
 * A Deny keeps the role from changing itself, its policies or the OIDC provider: changes to this
 * component are applied by an administrator, never by the pipeline it authorises.
 */
export function deployPolicies(scope: DeployScope): DeployPolicies {
  const { partition: p, region: r, accountId: a, environment: env } = scope;
  const n = `readscore-${env}-*`;
  const arn = (service: string, resource: string, region = r) => `arn:${p}:${service}:${region}:${a}:${resource}`;
  const iam = (resource: string) => `arn:${p}:iam::${a}:${resource}`;
  const requestTags = { StringEquals: { 'aws:RequestTag/project': 'readscore', 'aws:RequestTag/environment': env } };
  const resourceTags = { StringEquals: { 'aws:ResourceTag/project': 'readscore', 'aws:ResourceTag/environment': env } };
  const self = [iam(`role/${deployRoleName(env)}`), iam(`policy/${deployRoleName(env)}-*`), iam(`oidc-provider/${GITHUB_OIDC_HOST}`)];

  const read: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadMetadataWithoutResourceArns',
        Effect: 'Allow',
        Action: [
          'ec2:Describe*',
          'elasticloadbalancing:Describe*',
          'autoscaling:Describe*',
          'application-autoscaling:Describe*',
          'ecs:DescribeTaskDefinition',
          'ecs:ListTaskDefinitions',
          'ecs:DescribeCapacityProviders',
          'ecs:ListClusters',
          'kms:DescribeKey',
          'kms:GetKeyPolicy',
          'kms:GetKeyRotationStatus',
          'kms:ListAliases',
          'kms:ListResourceTags',
          'acm:DescribeCertificate',
          'acm:ListCertificates',
          'acm:ListTagsForCertificate',
          'sqs:ListQueues',
          'lambda:ListFunctions',
          'lambda:ListEventSourceMappings',
          'lambda:GetEventSourceMapping',
          'lambda:GetAccountSettings',
          'logs:DescribeLogGroups',
          'cloudwatch:ListDashboards',
          'sns:ListTopics',
          'secretsmanager:ListSecrets',
          's3:ListAllMyBuckets',
          'athena:ListWorkGroups',
          'ecr:GetAuthorizationToken',
          'iam:ListOpenIDConnectProviders',
          'tag:GetResources',
        ],
        Resource: '*',
      },
      { Sid: 'ReadPublicAmiParameters', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: `arn:${p}:ssm:${r}::parameter/aws/service/*` },
      {
        Sid: 'ReadOwnIdentity',
        Effect: 'Allow',
        Action: ['iam:GetRole', 'iam:GetOpenIDConnectProvider', 'iam:ListAttachedRolePolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion'],
        Resource: self,
      },
    ],
  };

  const core: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Queues',
        Effect: 'Allow',
        Action: [
          'sqs:CreateQueue',
          'sqs:DeleteQueue',
          'sqs:GetQueueAttributes',
          'sqs:SetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:TagQueue',
          'sqs:UntagQueue',
          'sqs:ListQueueTags',
        ],
        Resource: arn('sqs', n),
      },
      {
        Sid: 'Functions',
        Effect: 'Allow',
        Action: [
          'lambda:CreateFunction',
          'lambda:DeleteFunction',
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:GetFunctionCodeSigningConfig',
          'lambda:GetFunctionConcurrency',
          'lambda:GetPolicy',
          'lambda:ListVersionsByFunction',
          'lambda:ListTags',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PutFunctionConcurrency',
          'lambda:DeleteFunctionConcurrency',
          'lambda:AddPermission',
          'lambda:RemovePermission',
          'lambda:TagResource',
          'lambda:UntagResource',
        ],
        Resource: arn('lambda', `function:${n}`),
      },
      {
        // Create takes no resource ARN and mappings have UUID ARNs: scoped to our functions by condition.
        Sid: 'CreateEventSourceMappingsOfOwnFunctions',
        Effect: 'Allow',
        Action: 'lambda:CreateEventSourceMapping',
        Resource: '*',
        Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${n}`) } },
      },
      {
        Sid: 'ManageEventSourceMappingsOfOwnFunctions',
        Effect: 'Allow',
        Action: ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
        Resource: arn('lambda', 'event-source-mapping:*'),
        Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${n}`) } },
      },
      {
        Sid: 'LogGroups',
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:DeleteLogGroup',
          'logs:PutRetentionPolicy',
          'logs:DeleteRetentionPolicy',
          'logs:AssociateKmsKey',
          'logs:DisassociateKmsKey',
          'logs:TagResource',
          'logs:UntagResource',
          'logs:ListTagsForResource',
          'logs:TagLogGroup',
          'logs:ListTagsLogGroup',
        ],
        Resource: [`/aws/lambda/${n}`, `/ecs/${n}`, n].flatMap((g) => [arn('logs', `log-group:${g}`), arn('logs', `log-group:${g}:*`)]),
      },
      {
        Sid: 'AlarmsAndDashboards',
        Effect: 'Allow',
        Action: [
          'cloudwatch:PutMetricAlarm',
          'cloudwatch:DeleteAlarms',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:TagResource',
          'cloudwatch:UntagResource',
          'cloudwatch:ListTagsForResource',
          'cloudwatch:PutDashboard',
          'cloudwatch:GetDashboard',
          'cloudwatch:DeleteDashboards',
        ],
        Resource: [arn('cloudwatch', `alarm:${n}`), `arn:${p}:cloudwatch::${a}:dashboard/${n}`],
      },
      {
        // Subscription ARNs are `<topic ARN>:<id>`, so the topic pattern covers them.
        Sid: 'AlarmTopic',
        Effect: 'Allow',
        Action: [
          'sns:CreateTopic',
          'sns:DeleteTopic',
          'sns:GetTopicAttributes',
          'sns:SetTopicAttributes',
          'sns:Subscribe',
          'sns:Unsubscribe',
          'sns:GetSubscriptionAttributes',
          'sns:SetSubscriptionAttributes',
          'sns:ListSubscriptionsByTopic',
          'sns:TagResource',
          'sns:UntagResource',
          'sns:ListTagsForResource',
        ],
        Resource: arn('sns', n),
      },
      { Sid: 'CreateKeysWithStackTags', Effect: 'Allow', Action: ['kms:CreateKey', 'kms:TagResource'], Resource: '*', Condition: requestTags },
      {
        Sid: 'ManageStackKeys',
        Effect: 'Allow',
        Action: [
          'kms:PutKeyPolicy',
          'kms:EnableKeyRotation',
          'kms:UpdateKeyDescription',
          'kms:ScheduleKeyDeletion',
          'kms:CancelKeyDeletion',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:CreateAlias',
          'kms:UpdateAlias',
          'kms:DeleteAlias',
        ],
        Resource: arn('kms', 'key/*'),
        Condition: resourceTags,
      },
      { Sid: 'KeyAliases', Effect: 'Allow', Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'], Resource: arn('kms', `alias/${n}`) },
      {
        Sid: 'ImageRepositoryAndPush',
        Effect: 'Allow',
        Action: [
          'ecr:CreateRepository',
          'ecr:DeleteRepository',
          'ecr:DescribeRepositories',
          'ecr:PutImageTagMutability',
          'ecr:PutImageScanningConfiguration',
          'ecr:PutLifecyclePolicy',
          'ecr:GetLifecyclePolicy',
          'ecr:DeleteLifecyclePolicy',
          'ecr:SetRepositoryPolicy',
          'ecr:GetRepositoryPolicy',
          'ecr:DeleteRepositoryPolicy',
          'ecr:TagResource',
          'ecr:UntagResource',
          'ecr:ListTagsForResource',
          'ecr:DescribeImages',
          'ecr:ListImages',
          'ecr:BatchGetImage',
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
        ],
        Resource: arn('ecr', `repository/${n}`),
      },
    ],
  };

  const data: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        // Bucket configuration only: no object reads or writes.
        Sid: 'ResultsBucketConfiguration',
        Effect: 'Allow',
        Action: [
          's3:CreateBucket',
          's3:DeleteBucket',
          's3:ListBucket',
          's3:GetBucket*',
          's3:PutBucket*',
          's3:DeleteBucketPolicy',
          's3:DeleteBucketOwnershipControls',
          's3:GetLifecycleConfiguration',
          's3:PutLifecycleConfiguration',
          's3:GetEncryptionConfiguration',
          's3:PutEncryptionConfiguration',
          's3:GetAccelerateConfiguration',
          's3:GetReplicationConfiguration',
        ],
        Resource: `arn:${p}:s3:::${n}`,
      },
      {
        Sid: 'AthenaWorkgroup',
        Effect: 'Allow',
        Action: [
          'athena:CreateWorkGroup',
          'athena:DeleteWorkGroup',
          'athena:GetWorkGroup',
          'athena:UpdateWorkGroup',
          'athena:TagResource',
          'athena:UntagResource',
          'athena:ListTagsForResource',
        ],
        Resource: arn('athena', `workgroup/${n}`),
      },
      {
        Sid: 'Schedules',
        Effect: 'Allow',
        Action: [
          'events:PutRule',
          'events:DeleteRule',
          'events:DescribeRule',
          'events:EnableRule',
          'events:DisableRule',
          'events:PutTargets',
          'events:RemoveTargets',
          'events:ListTargetsByRule',
          'events:TagResource',
          'events:UntagResource',
          'events:ListTagsForResource',
          'scheduler:CreateSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
          'scheduler:GetSchedule',
        ],
        Resource: [arn('events', `rule/${n}`), arn('scheduler', `schedule/*/${n}`)],
      },
      {
        // Pulumi reads SecretVersion values back on refresh (TLS material kept by the stack).
        Sid: 'StackSecrets',
        Effect: 'Allow',
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecret',
          'secretsmanager:UpdateSecretVersionStage',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:GetResourcePolicy',
          'secretsmanager:PutResourcePolicy',
          'secretsmanager:DeleteResourcePolicy',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
        ],
        Resource: [arn('secretsmanager', `secret:${n}`), arn('secretsmanager', `secret:readscore/${env}/tls*`)],
      },
      { Sid: 'DescribeAppSyncSecret', Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: arn('secretsmanager', `secret:${scope.appsyncSecretName}-??????`) },
    ],
  };

  const iamPolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'StackRoles',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:GetRole',
          'iam:UpdateRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:ListRoleTags',
          'iam:PutRolePolicy',
          'iam:GetRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:CreatePolicy',
          'iam:DeletePolicy',
          'iam:GetPolicy',
          'iam:GetPolicyVersion',
          'iam:ListPolicyVersions',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:TagPolicy',
          'iam:UntagPolicy',
          'iam:CreateInstanceProfile',
          'iam:DeleteInstanceProfile',
          'iam:GetInstanceProfile',
          'iam:AddRoleToInstanceProfile',
          'iam:RemoveRoleFromInstanceProfile',
          'iam:TagInstanceProfile',
        ],
        Resource: [iam(`role/${n}`), iam(`policy/${n}`), iam(`instance-profile/${n}`)],
      },
      {
        Sid: 'AttachOnlyStackOrListedPolicies',
        Effect: 'Allow',
        Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        Resource: iam(`role/${n}`),
        Condition: { ArnLike: { 'iam:PolicyARN': [iam(`policy/${n}`), ...ATTACHABLE_AWS_POLICIES.map((name) => `arn:${p}:iam::aws:policy/${name}`)] } },
      },
      {
        Sid: 'PassStackRolesToItsServices',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: iam(`role/${n}`),
        Condition: {
          StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ec2.amazonaws.com', 'scheduler.amazonaws.com', 'events.amazonaws.com'] },
        },
      },
      {
        Sid: 'DenySelfModification',
        Effect: 'Deny',
        Action: [
          'iam:Create*',
          'iam:Delete*',
          'iam:Update*',
          'iam:Put*',
          'iam:Attach*',
          'iam:Detach*',
          'iam:Tag*',
          'iam:Untag*',
          'iam:AddClientIDToOpenIDConnectProvider',
          'iam:RemoveClientIDFromOpenIDConnectProvider',
          'iam:SetDefaultPolicyVersion',
        ],
        Resource: self,
      },
    ],
  };
  if (scope.engine !== 'triton') return { read, core, data, iam: iamPolicy };

  // Resources with random ids, scoped by the stack's tags: EC2 (VPC, subnets, routes, gateways,
  // addresses, security groups, endpoints, launch templates), imported certificates, scaling targets.
  const tagScoped = [`arn:${p}:ec2:${r}:${a}:*`, arn('acm', 'certificate/*'), arn('application-autoscaling', 'scalable-target/*')];
  const gpu: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LoadBalancerByName',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateLoadBalancer',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets',
          'elasticloadbalancing:CreateTargetGroup',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyListenerAttributes',
          'elasticloadbalancing:AddListenerCertificates',
          'elasticloadbalancing:RemoveListenerCertificates',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        Resource: [arn('elasticloadbalancing', `loadbalancer/app/${n}/*`), arn('elasticloadbalancing', `targetgroup/${n}/*`), arn('elasticloadbalancing', `listener/app/${n}/*/*`)],
      },
      {
        Sid: 'AutoScalingGroupByName',
        Effect: 'Allow',
        Action: [
          'autoscaling:CreateAutoScalingGroup',
          'autoscaling:UpdateAutoScalingGroup',
          'autoscaling:DeleteAutoScalingGroup',
          'autoscaling:CreateOrUpdateTags',
          'autoscaling:DeleteTags',
          'autoscaling:PutScalingPolicy',
          'autoscaling:DeletePolicy',
          'autoscaling:PutLifecycleHook',
          'autoscaling:DeleteLifecycleHook',
          'autoscaling:SetInstanceProtection',
          'autoscaling:EnableMetricsCollection',
          'autoscaling:DisableMetricsCollection',
        ],
        Resource: arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${n}`),
      },
      {
        // An Auto Scaling group needs ec2:RunInstances, only from a launch template (AWS's documented pattern).
        Sid: 'RunInstancesFromLaunchTemplates',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: `arn:${p}:ec2:${r}:*`,
        Condition: { ArnLike: { 'ec2:LaunchTemplate': arn('ec2', 'launch-template/*') }, Bool: { 'ec2:IsLaunchTemplateResource': 'true' } },
      },
      {
        Sid: 'EcsByName',
        Effect: 'Allow',
        Action: [
          'ecs:CreateCluster',
          'ecs:DeleteCluster',
          'ecs:UpdateCluster',
          'ecs:UpdateClusterSettings',
          'ecs:PutClusterCapacityProviders',
          'ecs:DescribeClusters',
          'ecs:CreateCapacityProvider',
          'ecs:UpdateCapacityProvider',
          'ecs:DeleteCapacityProvider',
          'ecs:CreateService',
          'ecs:UpdateService',
          'ecs:DeleteService',
          'ecs:DescribeServices',
          'ecs:TagResource',
          'ecs:UntagResource',
          'ecs:ListTagsForResource',
        ],
        Resource: [arn('ecs', `cluster/${n}`), arn('ecs', `capacity-provider/${n}`), arn('ecs', `service/${n}/*`), arn('ecs', `task-definition/${n}:*`)],
      },
      {
        Sid: 'RegisterTaskDefinitionsWithStackTags',
        Effect: 'Allow',
        Action: ['ecs:RegisterTaskDefinition', 'ecs:TagResource'],
        Resource: '*',
        Condition: requestTags,
      },
      {
        Sid: 'DeregisterStackTaskDefinitions',
        Effect: 'Allow',
        Action: 'ecs:DeregisterTaskDefinition',
        Resource: '*',
        Condition: resourceTags,
      },
      {
        Sid: 'CreateWithStackTags',
        Effect: 'Allow',
        Action: [
          'ec2:CreateVpc',
          'ec2:CreateSubnet',
          'ec2:CreateRouteTable',
          'ec2:CreateInternetGateway',
          'ec2:CreateNatGateway',
          'ec2:AllocateAddress',
          'ec2:CreateSecurityGroup',
          'ec2:CreateVpcEndpoint',
          'ec2:CreateLaunchTemplate',
          'ec2:CreateTags',
          'acm:ImportCertificate',
          'acm:AddTagsToCertificate',
          'application-autoscaling:RegisterScalableTarget',
          'application-autoscaling:TagResource',
        ],
        Resource: tagScoped,
        Condition: requestTags,
      },
      {
        Sid: 'ManageByStackTags',
        Effect: 'Allow',
        Action: [
          'ec2:DeleteVpc',
          'ec2:ModifyVpcAttribute',
          'ec2:DeleteSubnet',
          'ec2:ModifySubnetAttribute',
          'ec2:CreateRoute',
          'ec2:DeleteRoute',
          'ec2:DeleteRouteTable',
          'ec2:AssociateRouteTable',
          'ec2:DisassociateRouteTable',
          'ec2:AttachInternetGateway',
          'ec2:DetachInternetGateway',
          'ec2:DeleteInternetGateway',
          'ec2:DeleteNatGateway',
          'ec2:ReleaseAddress',
          'ec2:DisassociateAddress',
          'ec2:DeleteSecurityGroup',
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:AuthorizeSecurityGroupEgress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupEgress',
          'ec2:ModifyVpcEndpoint',
          'ec2:DeleteVpcEndpoints',
          'ec2:CreateLaunchTemplateVersion',
          'ec2:ModifyLaunchTemplate',
          'ec2:DeleteLaunchTemplate',
          'ec2:DeleteTags',
          'acm:ImportCertificate',
          'acm:DeleteCertificate',
          'acm:AddTagsToCertificate',
          'acm:RemoveTagsFromCertificate',
          'application-autoscaling:RegisterScalableTarget',
          'application-autoscaling:DeregisterScalableTarget',
          'application-autoscaling:PutScalingPolicy',
          'application-autoscaling:DeleteScalingPolicy',
          'application-autoscaling:TagResource',
          'application-autoscaling:UntagResource',
        ],
        Resource: tagScoped,
        Condition: resourceTags,
      },
      {
        Sid: 'ServiceLinkedRoles',
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: iam('role/aws-service-role/*'),
        Condition: {
          StringEquals: {
            'iam:AWSServiceName': [
              'ecs.amazonaws.com',
              'elasticloadbalancing.amazonaws.com',
              'autoscaling.amazonaws.com',
              'spot.amazonaws.com',
              'ecs.application-autoscaling.amazonaws.com',
            ],
          },
        },
      },
    ],
  };
  return { read, core, data, iam: iamPolicy, gpu };
}

/** GitHub Actions' OIDC provider and the stack's deploy role. */
export class DeployIdentity extends pulumi.ComponentResource {
  readonly provider: aws.iam.OpenIdConnectProvider;
  readonly role: aws.iam.Role;
  /** The deploy policies attached to the role, by part ({@link deployPolicyParts}). */
  readonly policies: Record<string, aws.iam.Policy>;

  constructor(name: string, args: DeployIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:DeployIdentity', name, {}, opts);
    if (!name) throw new Error('DeployIdentity: name is required');
    if (!args?.config) throw new Error('DeployIdentity: args.config is required');
    if (!args.tags) throw new Error('DeployIdentity: args.tags is required');
    const { config, tags } = args;
    githubSubjects(config); // throws naming readscore:githubRepository when it is missing
    const child = { parent: this };

    // One provider per account and issuer: stacks sharing an account must share it. No thumbprint:
    // IAM verifies GitHub's certificate against its own trusted CAs for this issuer.
    this.provider = new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [GITHUB_OIDC_AUDIENCE], tags }, child);
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: deployRoleName(config.environment),
        description: `GitHub Actions deploys of ${config.githubRepository} (${config.githubBranch}, environment ${config.environment})`,
        assumeRolePolicy: this.provider.arn.apply((arn) => JSON.stringify(deployTrustPolicy(arn, config))),
        maxSessionDuration: DEPLOY_SESSION_SEC,
        tags,
      },
      child,
    );

    const identity = aws.getCallerIdentityOutput({}, child);
    const partition = aws.getPartitionOutput({}, child);
    const region = aws.getRegionOutput({}, child);
    const documents = pulumi
      .all([partition.partition, region.region, identity.accountId])
      .apply(([p, r, a]) =>
        deployPolicies({ partition: p, region: r, accountId: a, environment: config.environment, engine: config.engine, appsyncSecretName: config.appsyncSecretName }),
      );
    const parts = deployPolicyParts(config.engine);
    this.policies = Object.fromEntries(
      parts.map((part) => {
        const policy = new aws.iam.Policy(
          `${name}-${part}`,
          {
            name: `${deployRoleName(config.environment)}-${part}`,
            description: `ReadScore ${config.environment} deploy: ${part}`,
            policy: documents.apply((d) => JSON.stringify(d[part] ?? { Version: '2012-10-17', Statement: [] })),
            tags,
          },
          child,
        );
        new aws.iam.RolePolicyAttachment(`${name}-${part}`, { role: this.role.name, policyArn: policy.arn }, child);
        return [part, policy];
      }),
    );
    this.registerOutputs({ roleArn: this.role.arn, providerArn: this.provider.arn });
  }
}
