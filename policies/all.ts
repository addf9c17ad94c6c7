/**
 * Every policy of the pack, in domain order. Tests and the gate import this list; only index.ts
 * turns it into a PolicyPack (which starts the analyzer's gRPC server).
 */
import type { Policies } from '@pulumi/policy';
import { computePolicies } from './compute';
import { iamPolicies } from './iam';
import { messagingPolicies } from './messaging';
import { networkPolicies } from './network';
import { observabilityPolicies } from './observability';
import { secretsPolicies } from './secrets';
import { storagePolicies } from './storage';
import { taggingPolicies } from './tagging';

/** All policies of the readscore pack. */
export const allPolicies: Policies = [
  ...networkPolicies,
  ...storagePolicies,
  ...messagingPolicies,
  ...computePolicies,
  ...iamPolicies,
  ...secretsPolicies,
  ...observabilityPolicies,
  ...taggingPolicies,
];
