/**
 * Calls a policy's validation directly, as the pack would, with the args it builds for a resource
 * (or a stack), and returns the reported messages. Props are typed by the @pulumi/aws Args at the
 * call sites (`satisfies aws.lb.ListenerArgs`), so the tests use the provider's real input names.
 */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';

/** Thrown when a policy says it does not apply (the pack records it as not applicable). */
export class NotApplicableError extends Error {}

/** What a resource validation may see beyond its props. */
export interface ResourceOptions {
  readonly name?: string;
  readonly config?: Record<string, unknown>;
  readonly providerProps?: Record<string, unknown>;
}

function notApplicable(reason?: string): never {
  throw new NotApplicableError(reason ?? 'not applicable');
}

/** The messages `policy` reports for one resource of `type` with `props` (its inputs). */
export async function checkResource(policy: ResourceValidationPolicy, type: string, props: object, options: ResourceOptions = {}): Promise<string[]> {
  const name = options.name ?? 'subject';
  const messages: string[] = [];
  const args: ResourceValidationArgs = {
    type,
    name,
    urn: `urn:pulumi:test::readscore::${type}::${name}`,
    props: props as Record<string, unknown>,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    ...(options.providerProps
      ? { provider: { type: 'pulumi:providers:aws', name: 'aws', urn: 'urn:pulumi:test::readscore::pulumi:providers:aws::aws', props: options.providerProps } }
      : {}),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => (options.config ?? {}) as T,
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
  for (const validate of validations) await validate(args, (message) => messages.push(message));
  return messages;
}

/** A stack resource (outputs as props) for {@link checkStack}. */
export function stackResource(type: string, name: string, props: object): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::readscore::${type}::${name}`,
    props: { id: `${name}-id`, ...props } as Record<string, unknown>,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

/** The `[urn, message]` pairs `policy` reports for a stack of `resources`. */
export async function checkStack(policy: StackValidationPolicy, resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<[string | undefined, string][]> {
  const reported: [string | undefined, string][] = [];
  await policy.validateStack({ resources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable }, (message, urn) => reported.push([urn, message]));
  return reported;
}
