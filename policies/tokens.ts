/**
 * Pulumi type tokens of the AWS resources the policies check (@pulumi/aws 7), one list per AWS
 * resource so a policy never misses an alias (`aws:alb/...` next to `aws:lb/...`).
 */

/** Every token of each AWS resource a policy checks. */
export const Tokens = {
  listener: ['aws:lb/listener:Listener', 'aws:alb/listener:Listener'],
  targetGroup: ['aws:lb/targetGroup:TargetGroup', 'aws:alb/targetGroup:TargetGroup'],
  loadBalancer: ['aws:lb/loadBalancer:LoadBalancer', 'aws:alb/loadBalancer:LoadBalancer'],
  securityGroup: ['aws:ec2/securityGroup:SecurityGroup'],
  securityGroupIngressRule: ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'],
  securityGroupRule: ['aws:ec2/securityGroupRule:SecurityGroupRule'],
  launchTemplate: ['aws:ec2/launchTemplate:LaunchTemplate'],
  instance: ['aws:ec2/instance:Instance'],
  ebsVolume: ['aws:ebs/volume:Volume'],
  autoScalingGroup: ['aws:autoscaling/group:Group'],
  bucket: ['aws:s3/bucketV2:BucketV2', 'aws:s3/bucket:Bucket'],
  bucketEncryption: [
    'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  ],
  bucketPublicAccessBlock: ['aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock'],
  bucketPolicy: ['aws:s3/bucketPolicy:BucketPolicy'],
  bucketLifecycle: ['aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2', 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration'],
  queue: ['aws:sqs/queue:Queue'],
  queueRedrivePolicy: ['aws:sqs/redrivePolicy:RedrivePolicy'],
  lambdaFunction: ['aws:lambda/function:Function'],
  eventSourceMapping: ['aws:lambda/eventSourceMapping:EventSourceMapping'],
  logGroup: ['aws:cloudwatch/logGroup:LogGroup'],
  metricAlarm: ['aws:cloudwatch/metricAlarm:MetricAlarm'],
  snsTopic: ['aws:sns/topic:Topic'],
  ecsService: ['aws:ecs/service:Service'],
  ecsTaskDefinition: ['aws:ecs/taskDefinition:TaskDefinition'],
  ecsCapacityProvider: ['aws:ecs/capacityProvider:CapacityProvider'],
  ecsClusterCapacityProviders: ['aws:ecs/clusterCapacityProviders:ClusterCapacityProviders'],
  iamRole: ['aws:iam/role:Role'],
  iamPolicy: ['aws:iam/policy:Policy'],
  iamRolePolicy: ['aws:iam/rolePolicy:RolePolicy'],
  iamRolePolicyAttachment: ['aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'aws:iam/policyAttachment:PolicyAttachment'],
  acmCertificate: ['aws:acm/certificate:Certificate'],
  secretVersion: ['aws:secretsmanager/secretVersion:SecretVersion'],
} as const satisfies Record<string, readonly string[]>;

/** A key of {@link Tokens}. */
export type TokenGroup = keyof typeof Tokens;
