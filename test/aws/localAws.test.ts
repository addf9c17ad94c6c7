import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../support/localAws';

const suite = localAwsSuite();

suite.describe('localAwsSuite', () => {
  it('runs a moto_server that stores and returns S3 objects', async () => {
    const s3 = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: 'probe' }));
    await s3.send(new PutObjectCommand({ Bucket: 'probe', Key: 'k', Body: 'hello', Metadata: { phraseindex: '007' } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'probe', Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    expect(got.Metadata).toEqual({ phraseindex: '007' });
  });
});
