/**
 * The whole ReadScore stack as one side-effect-free function of its typed config, so tests build it
 * per stack file under mocks. `infra/index.ts` (Pulumi.yaml's `main`) calls it with the stack's
 * config; `readscore:engine` decides whether the GPU fleet exists and where the Lambda sends audio.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { DeployIdentity } from './deployIdentity';
import { Enqueuer } from './enqueuer';
import { GpuFleet } from './gpuFleet';
import { Network } from './network';
import { Observability } from './observability';
import { ScoringQueue } from './queue';
import { ScoringFunction } from './scoringFunction';
import { Storage } from './storage';
import { resourceName, stackTags } from './tags';

/** The stack outputs. */
export interface StackOutputs {
  readonly [key: string]: pulumi.Input<unknown>;
  readonly queueUrl: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly scoringFunctionName: pulumi.Output<string>;
  readonly enqueuerFunctionName: pulumi.Output<string>;
  readonly resultsBucket: pulumi.Output<string>;
  readonly dashboardUrl: pulumi.Output<string>;
  readonly alertTopicArn: pulumi.Output<string>;
  /** `https://<internal ALB>:443` with engine triton; absent on the CPU path. */
  readonly tritonUrl?: pulumi.Output<string>;
  readonly imageRepositoryUrl?: pulumi.Output<string>;
  readonly deployRoleArn?: pulumi.Output<string>;
}

/** The root component: every resource of the stack is below it. */
export class ReadScoreStack extends pulumi.ComponentResource {
  readonly outputs: StackOutputs;

  constructor(config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:Stack', `readscore-${config.environment}`, {}, opts);
    const tags = stackTags(config);
    const child = { parent: this };
    const storage = new Storage('storage', { config, tags }, child);
    const queue = new ScoringQueue('scoring', { config, tags }, child);

    // The GPU path: VPC, GPU fleet behind an internal HTTPS ALB; the Lambda joins the VPC to reach it.
    let fleet: GpuFleet | undefined;
    let network: Network | undefined;
    if (config.engine === 'triton') {
      network = new Network('network', { config, tags }, child);
      fleet = new GpuFleet('triton', { config, tags, network }, child);
    }
    const scoring = new ScoringFunction(
      'score',
      {
        config,
        tags,
        storage,
        queue,
        ...(fleet && network
          ? {
              triton: {
                url: fleet.url,
                caSecretArn: fleet.caSecret.arn,
                caSecretName: fleet.caSecret.name,
                subnetIds: network.privateSubnetIds,
                securityGroupId: network.lambdaSecurityGroup.id,
              },
            }
          : {}),
      },
      child,
    );
    const enqueuer = new Enqueuer('enqueue', { config, tags, storage, queue, imageUri: scoring.imageUri }, child);
    const observability = new Observability(
      'observability',
      {
        config,
        tags,
        queue,
        scoringFunctionName: scoring.fn.name,
        enqueuerFunctionName: enqueuer.fn.name,
        ...(fleet
          ? {
              gpu: {
                albArnSuffix: fleet.alb.arnSuffix,
                targetGroupArnSuffix: fleet.targetGroup.arnSuffix,
                clusterName: fleet.cluster.name,
                serviceName: fleet.service.name,
                certificateArn: fleet.certificates.certificate.arn,
                autoScalingGroupNames: [fleet.spotGroup.name, fleet.onDemandGroup.name],
              },
            }
          : {}),
      },
      child,
    );
    if (fleet) {
      // The Spot → on-demand fallback controller is a Lambda too: its failures must page someone.
      new aws.cloudwatch.MetricAlarm(
        'fallback-errors',
        {
          name: resourceName(config, 'fallback-errors'),
          alarmDescription: 'The Spot → on-demand fallback controller failed: the GPU service may be stuck without capacity (docs/runbooks/triton-unhealthy.md).',
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: { FunctionName: fleet.fallbackFunction.name },
          statistic: 'Sum',
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          alarmActions: [observability.topic.arn],
          okActions: [observability.topic.arn],
          tags,
        },
        child,
      );
    }
    const deploy = config.githubRepository ? new DeployIdentity('deploy', { config, tags }, child) : undefined;

    this.outputs = {
      queueUrl: queue.queue.url,
      deadLetterQueueUrl: queue.deadLetterQueue.url,
      scoringFunctionName: scoring.fn.name,
      enqueuerFunctionName: enqueuer.fn.name,
      resultsBucket: storage.resultsBucket.bucket,
      dashboardUrl: pulumi.interpolate`https://console.aws.amazon.com/cloudwatch/home#dashboards:name=${observability.dashboard.dashboardName}`,
      alertTopicArn: observability.topic.arn,
      ...(fleet ? { tritonUrl: fleet.url } : {}),
      ...(scoring.repository ? { imageRepositoryUrl: scoring.repository.repositoryUrl } : {}),
      ...(deploy ? { deployRoleArn: deploy.role.arn } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}

/** Declares every resource of a stack and returns its outputs (`opts` reach every resource: tests pass transformations). */
export function createStack(config: StackConfig, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  return new ReadScoreStack(config, opts).outputs;
}
