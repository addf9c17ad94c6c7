/**
 * The whole ReadScore stack as one side-effect-free function of its typed config, so tests build it
 * per stack file under mocks. `infra/index.ts` (Pulumi.yaml's `main`) calls it with the stack's config.
 */
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { ScoringQueue } from './queue';
import { stackTags } from './tags';

/** The stack outputs. */
export interface StackOutputs {
  readonly [key: string]: pulumi.Input<unknown>;
  readonly queueUrl: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
}

/** The root component: every resource of the stack is below it. */
export class ReadScoreStack extends pulumi.ComponentResource {
  readonly outputs: StackOutputs;

  constructor(config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:Stack', `readscore-${config.environment}`, {}, opts);
    const tags = stackTags(config);
    const child = { parent: this };
    const queue = new ScoringQueue('scoring', { config, tags }, child);
    this.outputs = { queueUrl: queue.queue.url, deadLetterQueueUrl: queue.deadLetterQueue.url };
    this.registerOutputs(this.outputs);
  }
}

/** Declares every resource of a stack and returns its outputs (`opts` reach every resource: tests pass transformations). */
export function createStack(config: StackConfig, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  return new ReadScoreStack(config, opts).outputs;
}
