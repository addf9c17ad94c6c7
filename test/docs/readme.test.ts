/** The README's claims that the code can check: the environment table and the contract files. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentTable, SETTINGS } from '../../core/config';
import { stackConfigSchema } from '../../infra/config';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('documents exactly the environment variables the config module reads, with its defaults', () => {
    const table = /<!-- environment-table:start -->\n([\s\S]*?)\n<!-- environment-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(environmentTable());
    for (const s of SETTINGS) if (s.env) expect(table).toContain(`\`${s.env}\``);
  });

  it('documents every readscore: stack config key', () => {
    const keys = Object.keys(stackConfigSchema._def.schema.shape);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) expect([key, readme.includes(`\`readscore:${key}\``)]).toEqual([key, true]);
  });

  it('names handlers and contract files that exist', () => {
    for (const [, path] of readme.matchAll(/`(contracts\/[a-z-]+\/v\d+\.json)`/g)) expect([path, existsSync(join(root, path as string))]).toEqual([path, true]);
    for (const [, handler] of readme.matchAll(/`dist\/(handlers\/lambda\/[a-z]+)\.handler`/g)) expect(existsSync(join(root, `${handler}.ts`))).toBe(true);
  });
});
