import { join } from 'node:path';
import { parseStackConfig, StackConfigError } from '../../infra/config';
import { readStackFile } from '../../infra/mock/harness';
import { stackNames } from '../../infra/mock/preview';

const root = join(__dirname, '..', '..');
const base = {
  'readscore:engine': 'cpu',
  'readscore:owner': 'team',
  'readscore:costCenter': 'cc-1',
  'readscore:imageTag': 't1',
  'readscore:audioBucket': 'speech-bucket',
  'readscore:storyBucket': 'story-bucket',
  'readscore:storyKey': 'stories.json',
  'readscore:athenaDatabase': 'tutor',
  'readscore:appsyncSecretName': 'readscore/appsync',
  'aws:region': 'us-east-1',
};
const fails = (stack: string, raw: Record<string, unknown>, message: RegExp) => {
  expect(() => parseStackConfig(stack, raw)).toThrow(StackConfigError);
  expect(() => parseStackConfig(stack, raw)).toThrow(message);
};

describe('parseStackConfig', () => {
  it('reads every committed stack file, and readscore:engine is what selects the engine', () => {
    expect(stackNames(root)).toEqual(['dev', 'prod']);
    expect(readStackFile(root, 'dev').config).toMatchObject({ engine: 'cpu', environment: 'dev', stack: 'dev', maxReceiveCount: 3 });
    expect(readStackFile(root, 'prod').config).toMatchObject({ engine: 'triton', environment: 'prod', alarmEmail: 'reading-oncall@example.org' });
  });

  it('fails with clear messages naming the key', () => {
    fails('dev', { ...base, 'readscore:engine': 'gpu' }, /^readscore:engine: must be cpu or triton$/);
    fails('dev', { ...base, 'readscore:imageTag': undefined }, /^readscore:imageUri: give imageUri \(a pushed image\) or imageTag/);
    fails('dev', { ...base, 'readscore:imageUri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/readscore:1' }, /^readscore:imageTag: give imageUri or imageTag, not both/);
    fails('prod', base, /^readscore:alarmEmail: is required in prod/);
    fails('dev', { ...base, 'readscore:engine': 'triton' }, /^readscore:modelRepositoryUri: is required with engine triton/);
    fails('dev', { ...base, 'readscore:owner': undefined }, /^readscore:owner: is required$/);
    fails('dev', { ...base, 'readscore:maxReceiveCount': '9' }, /^readscore:maxReceiveCount: /);
    fails('dev', { ...base, 'readscore:reservedConcurrency': '5', 'readscore:maxConcurrency': '8' }, /must not exceed reservedConcurrency \(5\)/);
    fails('dev', { ...base, 'readscore:enigne': 'cpu' }, /Unrecognized key\(s\) in object: 'enigne'/);
  });

  it('takes lists as YAML lists or comma-separated text', () => {
    expect(parseStackConfig('dev', { ...base, 'readscore:gpuInstanceTypes': 'g5.xlarge, g6.xlarge' }).gpuInstanceTypes).toEqual(['g5.xlarge', 'g6.xlarge']);
    expect(parseStackConfig('dev', { ...base, 'readscore:athenaTables': ['activity_v', 'story_phrase'] }).athenaTables).toEqual(['activity_v', 'story_phrase']);
  });
});
