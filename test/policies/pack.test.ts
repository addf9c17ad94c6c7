/** The pack's policy list: what a reviewer reads in `pulumi preview` output must be usable. */
import { allPolicies } from '../../policies/all';

describe('readscore policy pack', () => {
  it('has unique kebab-case names, one-sentence descriptions and an enforcement level on every policy', () => {
    const names = allPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const policy of allPolicies) {
      expect(policy.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(policy.description).toMatch(/^[A-Z][^\n]*\.$/);
      expect(policy.description.slice(0, -1)).not.toMatch(/\.\s+[A-Z]/);
      expect(['mandatory', 'advisory']).toContain(policy.enforcementLevel);
    }
  });

  it('makes only the tagging policy advisory', () => {
    expect(allPolicies.filter((p) => p.enforcementLevel === 'advisory').map((p) => p.name)).toEqual(['required-tags']);
  });
});
