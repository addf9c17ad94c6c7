/**
 * The whole program under mocks, per stack file and per engine: what `pulumi up` would create and
 * how it is wired. Component details are tested beside each component's test file.
 */
import { join } from 'node:path';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import { type MockedStack, readStackFile, runMocked } from '../../infra/mock/harness';
import { countByType } from '../../infra/mock/preview';
import { createStack } from '../../infra/stack';

const root = join(__dirname, '..', '..');
const run = (config: StackConfig) => runMocked(config, (opts) => createStack(config, opts));
const envOf = (stack: MockedStack) => (stack.one('aws:lambda/function:Function', 'score-fn').inputs.environment as { variables: Record<string, string> }).variables;
const GPU_TYPES = [
  'aws:ec2/vpc:Vpc',
  'aws:ecs/cluster:Cluster',
  'aws:ecs/service:Service',
  'aws:lb/loadBalancer:LoadBalancer',
  'aws:lb/listener:Listener',
  'aws:autoscaling/group:Group',
];

describe('createStack', () => {
  const stacks = new Map<string, MockedStack>();
  beforeAll(async () => {
    for (const name of ['dev', 'prod']) stacks.set(name, await run(readStackFile(root, name).config));
    const dev = readStackFile(root, 'dev').raw;
    stacks.set('dev-triton', await run(parseStackConfig('dev', { ...dev, 'readscore:engine': 'triton', 'readscore:modelRepositoryUri': 's3://models-dev/triton/' })));
  }, 120_000);
  const stack = (name: string) => stacks.get(name) as MockedStack;

  it('puts every resource under the root component', () => {
    for (const s of stacks.values()) {
      const orphans = s.resources.filter((r) => r.type !== 'readscore:index:Stack' && !r.parent);
      expect(orphans.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    }
  });

  it('with engine cpu: no VPC, ECS or ALB, and a Lambda outside any VPC that scores on its own CPU', () => {
    const dev = stack('dev');
    for (const type of GPU_TYPES) expect([type, dev.ofType(type).length]).toEqual([type, 0]);
    expect(dev.one('aws:lambda/function:Function', 'score-fn').inputs.vpcConfig).toBeUndefined();
    expect(envOf(dev).READSCORE_ENGINE).toBe('cpu');
    expect(envOf(dev).READSCORE_TRITON_URL).toBeUndefined();
  });

  it.each(['prod', 'dev-triton'])('with engine triton (%s): the Lambda is in the VPC and carries the ALB’s HTTPS URL and the CA secret name', (name) => {
    const s = stack(name);
    for (const type of GPU_TYPES) expect(s.ofType(type).length).toBeGreaterThan(0);
    const env = envOf(s);
    const alb = s.one('aws:lb/loadBalancer:LoadBalancer');
    expect(env.READSCORE_ENGINE).toBe('triton');
    expect(env.READSCORE_TRITON_URL).toBe(`https://${alb.state.dnsName}:443`);
    expect(s.outputs.tritonUrl).toBe(env.READSCORE_TRITON_URL);
    const caSecret =
      s.byRef(env.READSCORE_TRITON_CA_SECRET) ?? s.resources.find((r) => r.type === 'aws:secretsmanager/secret:Secret' && r.state.name === env.READSCORE_TRITON_CA_SECRET);
    expect(caSecret?.type).toBe('aws:secretsmanager/secret:Secret');
    const vpc = s.one('aws:lambda/function:Function', 'score-fn').inputs.vpcConfig as { subnetIds: string[]; securityGroupIds: string[] };
    expect(vpc.subnetIds).toHaveLength(2);
    expect(s.byRef(vpc.securityGroupIds[0])?.type).toBe('aws:ec2/securityGroup:SecurityGroup');
    // The fallback controller's failures page the alert topic too.
    const fallback = s.one('aws:cloudwatch/metricAlarm:MetricAlarm', 'fallback-errors');
    expect(fallback.inputs.alarmActions).toEqual([s.one('aws:sns/topic:Topic').state.arn]);
  });

  it('maps the queue to the scoring function and the enqueuer to the same image', () => {
    for (const s of stacks.values()) {
      const mapping = s.one('aws:lambda/eventSourceMapping:EventSourceMapping');
      expect(mapping.inputs.eventSourceArn).toBe(s.one('aws:sqs/queue:Queue', 'scoring-queue').state.arn);
      expect(s.byRef(mapping.inputs.functionName)?.name).toBe('score-fn');
      expect(s.one('aws:lambda/function:Function', 'enqueue-fn').inputs.imageUri).toBe(s.one('aws:lambda/function:Function', 'score-fn').inputs.imageUri);
    }
  });

  it('exports the outputs a deploy reads', () => {
    expect(Object.keys(stack('prod').outputs).sort()).toEqual(
      [
        'alertTopicArn',
        'dashboardUrl',
        'deadLetterQueueUrl',
        'deployRoleArn',
        'enqueuerFunctionName',
        'imageRepositoryUrl',
        'queueUrl',
        'resultsBucket',
        'scoringFunctionName',
        'tritonUrl',
      ].sort(),
    );
  });

  it('creates these resources per stack file (reviewed count by type)', () => {
    expect({ dev: countByType(stack('dev').resources), prod: countByType(stack('prod').resources) }).toMatchSnapshot();
  });
});
