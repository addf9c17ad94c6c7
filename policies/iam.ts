/**
 * IAM policies: no `Action: "*"`, no write actions on `Resource: "*"`, no administrator policies
 * (AWS-managed admin attachments or inline statements granting everything).
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from '@pulumi/policy';
import { label, validateTokens } from './validation';
import { asArray, asRecord, asString, parseJson } from './values';

/** An Allow or Deny statement of a policy document, with where it came from. */
export interface Statement {
  readonly source: string;
  readonly effect: string;
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  /** The keys the statement's Condition tests (`aws:RequestTag/project`, `lambda:FunctionArn`, ...). */
  readonly conditionKeys: string[];
}

/** AWS-managed policies that grant administrator-level access. */
export const ADMIN_POLICY_ARNS: readonly string[] = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/PowerUserAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
];

/** Write actions AWS only authorises on `Resource: "*"` (no resource-level permissions). */
export const RESOURCE_STAR_ONLY_ACTIONS: readonly string[] = [
  'cloudwatch:PutMetricData',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * Write actions that take no resource ARN (they create the resource, or name it by UUID) and so may
 * use `Resource: "*"` only under a Condition that scopes them (request/resource tags, the function).
 */
export const CONDITIONAL_RESOURCE_STAR_ACTIONS: readonly string[] = [
  'kms:CreateKey',
  'kms:TagResource',
  'lambda:CreateEventSourceMapping',
  'ecs:RegisterTaskDefinition',
  'ecs:DeregisterTaskDefinition',
  'ecs:TagResource',
];

/** Condition keys that scope a statement to the stack's resources. */
const SCOPING_CONDITION = /^(aws:RequestTag\/|aws:ResourceTag\/|lambda:FunctionArn$)/;

const READ_VERBS = /^(Get|List|Describe|BatchGet|Head|Query|Scan|Search|Lookup|Filter|View)/;

/** Whether an action (possibly with wildcards, e.g. `s3:Get*`) only reads. */
export function isReadOnlyAction(action: string): boolean {
  const verb = action.split(':')[1];
  return verb !== undefined && verb !== '*' && READ_VERBS.test(verb);
}

function strings(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string');
}

/** The statements of a policy document (JSON text or object). */
export function statementsOf(document: unknown, source: string): Statement[] {
  return asArray(asRecord(parseJson(document))?.Statement).map((s) => {
    const r = asRecord(s) ?? {};
    const conditionKeys = Object.values(asRecord(r.Condition) ?? {}).flatMap((test) => Object.keys(asRecord(test) ?? {}));
    return { source, effect: asString(r.Effect) ?? 'Allow', actions: strings(r.Action), notActions: strings(r.NotAction), resources: strings(r.Resource), conditionKeys };
  });
}

/** Every policy document a resource carries: a Policy/RolePolicy `policy`, a Role's inline policies. */
export function documentsOf(args: Pick<ResourceValidationArgs, 'type' | 'props'>): Statement[] {
  const props = args.props as Record<string, unknown>;
  if (args.type === 'aws:iam/role:Role') {
    return asArray(props.inlinePolicies).flatMap((p, i) => statementsOf(asRecord(p)?.policy, `inline policy ${asString(asRecord(p)?.name) ?? i}`));
  }
  return statementsOf(props.policy, 'policy');
}

const isStar = (a: string) => a === '*' || a === '*:*';

/** No statement allows every action (`Action: "*"`, or `NotAction`, which allows everything else). */
export const iamNoWildcardAction: ResourceValidationPolicy = {
  name: 'iam-no-wildcard-action',
  description: 'IAM policies must not Allow Action "*" (or NotAction); list the actions the role needs.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['iamPolicy', 'iamRolePolicy', 'iamRole'], (_props, args, report) => {
    for (const s of documentsOf(args).filter((st) => st.effect === 'Allow')) {
      if (s.actions.some(isStar)) report(`${label(args)} ${s.source} allows Action "*": name the actions it needs (e.g. "sqs:ReceiveMessage", "s3:GetObject").`);
      else if (s.notActions.length)
        report(`${label(args)} ${s.source} allows everything except NotAction [${s.notActions.join(', ')}]: replace NotAction with the Action list it needs.`);
    }
  }),
};

/** Write actions name their resources; only reads (and the few actions AWS scopes to "*") may use "*". */
export const iamNoWildcardResourceWrite: ResourceValidationPolicy = {
  name: 'iam-no-wildcard-resource-write',
  description: 'IAM policies must not Allow write actions on Resource "*" (except the few that take no ARN, under a tag or function Condition); scope them to the stack’s ARNs.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['iamPolicy', 'iamRolePolicy', 'iamRole'], (_props, args, report) => {
    for (const s of documentsOf(args).filter((st) => st.effect === 'Allow' && st.resources.includes('*'))) {
      const scoped = s.conditionKeys.some((k) => SCOPING_CONDITION.test(k));
      const writes = s.actions.filter((a) => !isReadOnlyAction(a) && !RESOURCE_STAR_ONLY_ACTIONS.includes(a) && !(scoped && CONDITIONAL_RESOURCE_STAR_ACTIONS.includes(a)));
      if (writes.length === 0) continue;
      const conditional = writes.filter((a) => CONDITIONAL_RESOURCE_STAR_ACTIONS.includes(a));
      const hint = conditional.length ? ` (${conditional.join(', ')} take no ARN: scope them with a Condition on aws:RequestTag/*, aws:ResourceTag/* or lambda:FunctionArn)` : '';
      report(`${label(args)} ${s.source} allows ${writes.map((a) => `"${a}"`).join(', ')} on Resource "*": set Resource to the ARNs these actions need${hint}.`);
    }
  }),
};

/** No administrator access, attached or inline. */
export const iamNoAdminPolicy: ResourceValidationPolicy = {
  name: 'iam-no-admin-policy',
  description: 'Roles must not get administrator access: no AdministratorAccess/PowerUserAccess/IAMFullAccess attachment and no inline Action "*" on Resource "*".',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['iamPolicy', 'iamRolePolicy', 'iamRole', 'iamRolePolicyAttachment'], (props, args, report) => {
    const attached = [...strings(props.policyArn), ...strings(props.managedPolicyArns)].filter((a) => ADMIN_POLICY_ARNS.includes(a));
    for (const arn of attached) report(`${label(args)} attaches ${arn}: attach a policy with only the actions and resources the role needs.`);
    for (const s of documentsOf(args)) {
      if (s.effect === 'Allow' && s.actions.some(isStar) && s.resources.includes('*')) {
        report(`${label(args)} ${s.source} grants administrator access (Action "*" on Resource "*"): replace it with the actions and resource ARNs the role needs.`);
      }
    }
  }),
};

/** The IAM policies. */
export const iamPolicies: ResourceValidationPolicy[] = [iamNoWildcardAction, iamNoWildcardResourceWrite, iamNoAdminPolicy];
