/**
 * Jest suites that need local AWS (moto_server, see tools/aws/localAws.ts). Where moto_server is
 * missing a suite prints one line and skips — unless READSCORE_REQUIRE_LOCAL_AWS=1 (set by .ci/run),
 * which makes it required.
 *
 * @example
 * const suite = localAwsSuite();           // at the top of a test file
 * suite.describe('S3 audio source', () => { it('...', async () => { suite.aws.endpoint ... }) });
 */
import { type LocalAws, motoAvailable, startLocalAws } from '../../tools/aws/localAws';

export { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalAws } from '../../tools/aws/localAws';

/**
 * Declares a suite that needs local AWS: starts moto before it and stops it after. Returns an
 * accessor whose `endpoint` is valid inside the suite's tests.
 */
export function localAwsSuite(): { describe: (name: string, body: () => void) => void; readonly aws: LocalAws } {
  const required = process.env.READSCORE_REQUIRE_LOCAL_AWS === '1';
  const available = motoAvailable();
  let aws: LocalAws | undefined;
  return {
    get aws() {
      if (!aws) throw new Error('local AWS is not running (used outside its suite?)');
      return aws;
    },
    describe(name, body) {
      if (!available && !required) {
        process.stdout.write(`skipping "${name}": moto_server not found (set READSCORE_REQUIRE_LOCAL_AWS=1 to require it)\n`);
        describe.skip(name, body);
        return;
      }
      describe(name, () => {
        beforeAll(async () => {
          if (!available) throw new Error('READSCORE_REQUIRE_LOCAL_AWS=1 but moto_server is not installed');
          aws = await startLocalAws();
        }, 30_000);
        afterAll(async () => {
          await aws?.stop();
        });
        body();
      });
    },
  };
}
