/**
 * Building blocks shared by the policies: a resource validation bound to every token of one AWS
 * resource, the label a message starts with, and how a stack policy follows a reference.
 */
import type { PolicyResource, ReportViolation, ResourceValidation, ResourceValidationArgs } from '@pulumi/policy';
import { type TokenGroup, Tokens } from './tokens';
import { asString } from './values';

/** `type name`, how every message names the resource. */
export function label(resource: { readonly type: string; readonly name: string }): string {
  return `${resource.type} ${resource.name}`;
}

/**
 * A validation that runs only for the tokens of `group` (and reports itself not applicable for
 * other types), so a policy checks `aws:lb/...` and `aws:alb/...` alike.
 */
export function validateTokens(
  group: TokenGroup | readonly TokenGroup[],
  validate: (props: Record<string, unknown>, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  const groups = (typeof group === 'string' ? [group] : group) as readonly TokenGroup[];
  const types = groups.flatMap((g) => Tokens[g] as readonly string[]);
  return (args, reportViolation) => {
    if (!types.includes(args.type)) return args.notApplicable(`Policy only applies to ${types.join(', ')}`);
    validate(args.props as Record<string, unknown>, args, reportViolation);
  };
}

/** The resources of a stack whose type is one of the tokens of `group`. */
export function resourcesOf(resources: readonly PolicyResource[], group: TokenGroup): PolicyResource[] {
  const types = Tokens[group] as readonly string[];
  return resources.filter((r) => types.includes(r.type));
}

/** The values another resource may use to refer to `resource`: its id, ARN, name, bucket name, URL. */
export function identifiers(resource: PolicyResource): string[] {
  const p = resource.props as Record<string, unknown>;
  return [p.id, p.arn, p.name, p.bucket, p.url, p.family].map(asString).filter((v): v is string => Boolean(v));
}

/** Whether `ref` (an input such as a policy's `bucket`) refers to `target`, by value or by a recorded dependency. */
export function refersTo(holder: PolicyResource, property: string, target: PolicyResource): boolean {
  if (holder.propertyDependencies?.[property]?.some((d) => d.urn === target.urn)) return true;
  const ref = asString((holder.props as Record<string, unknown>)[property]);
  return ref !== undefined && identifiers(target).includes(ref);
}

/** The name AWS gives a resource: its `name` input, else the Pulumi resource name. */
export function awsName(resource: PolicyResource): string {
  return asString((resource.props as Record<string, unknown>).name) ?? resource.name;
}
