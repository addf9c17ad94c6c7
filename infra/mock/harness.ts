/**
 * Runs the Pulumi program under `pulumi.runtime.setMocks` and records every registered resource
 * (type, name, inputs with secrets unwrapped, which input paths were secret, parent, dependencies).
 * Used by the infra tests, `npm run preview:mock` and the policy gate. Every invoke the program
 * makes is answered here by token: an unanswered one would hang, so an unknown token throws.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { load } from 'js-yaml';
import { parseStackConfig, type StackConfig } from '../config';
import { tlsState } from './tls';

/** A resource as the program registered it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs with Pulumi secrets unwrapped. */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths of the inputs that were secrets (e.g. `secretString`). */
  readonly secretPaths: readonly string[];
  /** `type::name` of the parent resource (the component it belongs to). */
  readonly parent?: string;
  /** `type::name` of explicit `dependsOn` resources. */
  readonly dependsOn: readonly string[];
  readonly provider?: string;
  /** State the mock returned (outputs), e.g. generated certificate PEM. */
  readonly state: Record<string, unknown>;
}

/** The outcome of one mocked run. */
export interface MockedStack {
  readonly stack: string;
  readonly config: StackConfig;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** Resources of one type (every type token the program could use for it). */
  ofType(...types: string[]): RecordedResource[];
  /** The one resource of a type whose name contains `name`; throws when not exactly one. */
  one(type: string, name?: string): RecordedResource;
  /** The resource whose `id`/`arn`/`name` state equals `ref` (how wiring is followed). */
  byRef(ref: unknown): RecordedResource | undefined;
}

const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/** Unwraps Pulumi secret envelopes, collecting the paths where they were. */
export function unwrapSecrets(value: unknown, path = '', paths: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, paths));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] === '1b47061264138c4ac30d75fd1eb44270') {
      paths.push(path || '(root)');
      return unwrapSecrets(o.value, path, []);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, paths)]));
  }
  return value;
}

/** Reads `Pulumi.<stack>.yaml` and validates its `readscore:` keys. */
export function readStackFile(root: string, stack: string): { config: StackConfig; raw: Record<string, unknown> } {
  const doc = load(readFileSync(join(root, `Pulumi.${stack}.yaml`), 'utf8')) as { config?: Record<string, unknown> } | undefined;
  const raw = doc?.config ?? {};
  return { config: parseStackConfig(stack, raw), raw };
}

type Invoke = (inputs: Record<string, unknown>) => Record<string, unknown>;

/** Answers to the invokes the program makes, by token. */
const INVOKES: Record<string, Invoke> = {
  'aws:index/getRegion:getRegion': () => ({ name: REGION, region: REGION, id: REGION }),
  'aws:index/getCallerIdentity:getCallerIdentity': () => ({ accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/mock`, userId: 'mock', id: ACCOUNT }),
  'aws:index/getPartition:getPartition': () => ({ partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' }),
  'aws:index/getAvailabilityZones:getAvailabilityZones': () => ({ names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'], id: REGION }),
  'aws:ssm/getParameter:getParameter': (inputs) => ({
    name: inputs.name,
    type: 'String',
    value: String(inputs.name).includes('gpu') ? 'ami-0gpu0000000000000' : 'ami-0000000000000000',
    id: inputs.name,
  }),
  'aws:iam/getPolicyDocument:getPolicyDocument': (inputs) => ({ json: JSON.stringify(policyJson(inputs)), id: 'policy' }),
  'aws:elb/getServiceAccount:getServiceAccount': () => ({ arn: 'arn:aws:iam::127311923021:root', id: '127311923021' }),
};

/** What `getPolicyDocument` would make of its statements (the mock keeps the shape IAM sees). */
function policyJson(inputs: Record<string, unknown>): Record<string, unknown> {
  const statements = ((inputs.statements as Record<string, unknown>[] | undefined) ?? []).map((s) => ({
    ...(s.sid ? { Sid: s.sid } : {}),
    Effect: s.effect ?? 'Allow',
    ...(s.actions ? { Action: s.actions } : {}),
    ...(s.resources ? { Resource: s.resources } : {}),
    ...(s.principals ? { Principal: Object.fromEntries((s.principals as { type: string; identifiers: string[] }[]).map((p) => [p.type, p.identifiers])) } : {}),
    ...(s.conditions
      ? { Condition: Object.fromEntries((s.conditions as { test: string; variable: string; values: string[] }[]).map((c) => [c.test, { [c.variable]: c.values }])) }
      : {}),
  }));
  return { Version: '2012-10-17', Statement: statements };
}

/** Outputs AWS would compute that the program reads (ARNs, URLs, DNS names). */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const n = (inputs.name as string | undefined) ?? (inputs.bucket as string | undefined) ?? name;
  const service = type.split(':')[1]?.split('/')[0] ?? 'svc';
  const state: Record<string, unknown> = { arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${n}` };
  if (type === 'aws:sqs/queue:Queue') {
    state.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`;
    state.arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${n}`;
  }
  if (type === 'aws:s3/bucket:Bucket' || type === 'aws:s3/bucketV2:BucketV2') {
    state.bucket = n;
    state.arn = `arn:aws:s3:::${n}`;
  }
  if (type === 'aws:lb/loadBalancer:LoadBalancer' || type === 'aws:alb/loadBalancer:LoadBalancer') {
    state.dnsName = `internal-${name}-123.${REGION}.elb.amazonaws.com`;
    state.arnSuffix = `app/${name}/0123456789abcdef`;
  }
  if (type === 'aws:lb/targetGroup:TargetGroup' || type === 'aws:alb/targetGroup:TargetGroup') state.arnSuffix = `targetgroup/${name}/0123456789abcdef`;
  if (type === 'aws:lambda/function:Function') state.invokeArn = `arn:aws:apigateway:${REGION}:lambda:path/functions/${name}/invocations`;
  if (type === 'aws:ecr/repository:Repository') state.repositoryUrl = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${n}`;
  if (type === 'aws:ec2/vpc:Vpc') state.defaultSecurityGroupId = `sg-${name}-default`;
  if (type === 'aws:secretsmanager/secret:Secret') state.arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n}-AbCdEf`;
  return state;
}

/**
 * Runs `program` (e.g. `(opts) => createStack(config, opts)`) under mocks and returns what it registered.
 * Each call installs fresh mocks, so several stacks can run in one process one after another.
 */
export async function runMocked(config: StackConfig, program: (opts: pulumi.ComponentResourceOptions) => Record<string, pulumi.Input<unknown>>): Promise<MockedStack> {
  const resources: RecordedResource[] = [];
  const options: Options = new Map();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, '', secretPaths) as Record<string, unknown>;
        const tls = tlsState(args.type, args.name, inputs);
        const state = { ...inputs, ...computedState(args.type, args.name, inputs), ...(tls ?? {}) };
        const id = `${args.name}-id`;
        const urn = `urn:pulumi:${config.stack}::readscore::${args.type}::${args.name}`;
        resources.push({ type: args.type, name: args.name, urn, inputs, secretPaths, ...(args.provider ? { provider: args.provider } : {}), state, dependsOn: [] });
        return { id, state };
      },
      call(args) {
        const answer = INVOKES[args.token];
        if (!answer) throw new Error(`unmocked invoke ${args.token}: add it to infra/harness.ts`);
        return answer(unwrapSecrets(args.inputs) as Record<string, unknown>);
      },
    },
    'readscore',
    config.stack,
    false,
  );
  const outputs = program({ transformations: [optionsRecorder(options)] });
  const resolved = await new Promise<Record<string, unknown>>((resolve) => {
    pulumi.all(outputs as Record<string, pulumi.Input<unknown>>).apply((values) => resolve(values as Record<string, unknown>));
  });
  // Let registrations that no output depends on finish too.
  for (let settled = -1; settled !== resources.length; ) {
    settled = resources.length;
    await new Promise((r) => setTimeout(r, 20));
  }
  const withOptions = resources.map((r) => {
    const o = options.get(`${r.type}::${r.name}`);
    return { ...r, ...(o?.parent ? { parent: o.parent } : {}), dependsOn: o?.dependsOn ?? [] };
  });
  return stackView(config, withOptions, resolved);
}

type Options = Map<string, { parent?: string; dependsOn: string[] }>;

function keyOf(resource: unknown): string | undefined {
  const r = resource as { __pulumiType?: string; __name?: string } | undefined;
  return r?.__pulumiType && r.__name ? `${r.__pulumiType}::${r.__name}` : undefined;
}

/** A transformation that records each resource's parent and explicit dependencies (mocks do not see them). */
function optionsRecorder(options: Options): pulumi.ResourceTransformation {
  return (args) => {
    const parent = keyOf(args.opts.parent);
    const deps = args.opts.dependsOn;
    const dependsOn = (Array.isArray(deps) ? deps : deps ? [deps] : []).map(keyOf).filter((k): k is string => Boolean(k));
    options.set(`${args.type}::${args.name}`, { ...(parent ? { parent } : {}), dependsOn });
    return undefined;
  };
}

function stackView(config: StackConfig, resources: RecordedResource[], outputs: Record<string, unknown>): MockedStack {
  return {
    stack: config.stack,
    config,
    resources,
    outputs,
    ofType: (...types) => resources.filter((r) => types.includes(r.type)),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (!name || r.name.includes(name)));
      if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named *${name}*` : ''}, found ${found.length}: ${found.map((r) => r.name).join(', ')}`);
      return found[0] as RecordedResource;
    },
    byRef: (ref) => resources.find((r) => [`${r.name}-id`, r.state.arn, r.state.name, r.state.url, r.state.bucket].includes(ref as string)),
  };
}
