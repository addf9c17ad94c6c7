/**
 * The readscore CrossGuard policy pack: `pulumi preview --policy-pack policies` runs it, and so does
 * `npm run policy` (policies/gate/run.ts). Constructing the pack starts its gRPC analyzer server and
 * prints the port, so nothing imports this file; the policies live in the domain modules.
 */
import { PolicyPack } from '@pulumi/policy';
import { allPolicies } from './all';

new PolicyPack('readscore', { policies: allPolicies, enforcementLevel: 'mandatory' });
