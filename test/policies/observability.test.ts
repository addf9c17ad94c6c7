/** Observability policies: log retention and the alarms an operator needs, each notifying SNS. */
import type * as aws from '@pulumi/aws';
import { alarmsNotifySns, alb5xxAlarm, certificateExpiryAlarm, lambdaErrorsAlarm, logGroupRetention } from '../../policies/observability';
import { checkResource, checkStack, stackResource } from './policyHarness';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:readscore-dev-alarms';
const topic = stackResource('aws:sns/topic:Topic', 'alarms', { name: 'readscore-dev-alarms', arn: TOPIC_ARN } satisfies aws.sns.TopicArgs & { arn: string });
const alarm = (name: string, metric: Partial<aws.cloudwatch.MetricAlarmArgs>) =>
  stackResource('aws:cloudwatch/metricAlarm:MetricAlarm', name, {
    comparisonOperator: 'GreaterThanThreshold',
    evaluationPeriods: 1,
    period: 300,
    statistic: 'Sum',
    threshold: 0,
    alarmActions: [TOPIC_ARN],
    ...metric,
  } satisfies aws.cloudwatch.MetricAlarmArgs);

describe('log-group-retention', () => {
  it('passes a retention', async () => {
    expect(
      await checkResource(logGroupRetention, 'aws:cloudwatch/logGroup:LogGroup', { name: '/aws/lambda/x', retentionInDays: 30 } satisfies aws.cloudwatch.LogGroupArgs),
    ).toEqual([]);
  });

  it('fails a group that never expires', async () => {
    expect(await checkResource(logGroupRetention, 'aws:cloudwatch/logGroup:LogGroup', { name: '/aws/lambda/x' } satisfies aws.cloudwatch.LogGroupArgs, { name: 'logs' })).toEqual([
      'aws:cloudwatch/logGroup:LogGroup logs keeps logs forever: set retentionInDays (readscore:logRetentionDays, e.g. 30).',
    ]);
  });
});

describe('lambda-errors-alarm', () => {
  const fn = stackResource('aws:lambda/function:Function', 'scorer', { name: 'readscore-dev-scorer', role: 'r', packageType: 'Image' } satisfies aws.lambda.FunctionArgs);

  it('passes an Errors alarm on the function, plain or in a metric query', async () => {
    expect(
      await checkStack(lambdaErrorsAlarm, [fn, alarm('errors', { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'readscore-dev-scorer' } })]),
    ).toEqual([]);
    const query = alarm('errors-rate', {
      statistic: undefined,
      period: undefined,
      metricQueries: [
        { id: 'e', returnData: true, metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'readscore-dev-scorer' }, period: 300, stat: 'Sum' } },
      ],
    });
    expect(await checkStack(lambdaErrorsAlarm, [fn, query])).toEqual([]);
  });

  it('fails a function with only a throttles alarm', async () => {
    expect(
      await checkStack(lambdaErrorsAlarm, [fn, alarm('throttles', { namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: 'readscore-dev-scorer' } })]),
    ).toEqual([
      [
        fn.urn,
        'aws:lambda/function:Function scorer has no errors alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/Lambda, metricName Errors, dimensions { FunctionName: "readscore-dev-scorer" }, alarmActions [the alarm topic ARN].',
      ],
    ]);
  });
});

describe('alb-5xx-alarm', () => {
  it.each(['aws:lb/loadBalancer:LoadBalancer', 'aws:alb/loadBalancer:LoadBalancer'])('passes a 5xx alarm on the ALB arnSuffix, fails without one (%s)', async (type) => {
    const lb = stackResource(type, 'triton', { internal: true, loadBalancerType: 'application', arnSuffix: 'app/triton/0123' } satisfies aws.lb.LoadBalancerArgs & {
      arnSuffix: string;
    });
    const fiveXx = alarm('5xx', { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: { LoadBalancer: 'app/triton/0123' } });
    expect(await checkStack(alb5xxAlarm, [lb, fiveXx])).toEqual([]);
    expect((await checkStack(alb5xxAlarm, [lb])).map(([, m]) => m)).toEqual([
      `${type} triton has no 5xx alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/ApplicationELB, metricName HTTPCode_Target_5XX_Count (or HTTPCode_ELB_5XX_Count), dimensions { LoadBalancer: lb.arnSuffix }, alarmActions [the alarm topic ARN].`,
    ]);
  });
});

describe('certificate-expiry-alarm', () => {
  const acm = stackResource('aws:acm/certificate:Certificate', 'triton', {
    arn: 'arn:aws:acm:us-east-1:1:certificate/abc',
    certificateBody: 'x',
    privateKey: 'y',
  } satisfies aws.acm.CertificateArgs & { arn: string });
  const days = (arn: string) =>
    alarm('expiry', {
      namespace: 'AWS/CertificateManager',
      metricName: 'DaysToExpiry',
      statistic: 'Minimum',
      comparisonOperator: 'LessThanThreshold',
      threshold: 30,
      dimensions: { CertificateArn: arn },
    });

  it('passes a DaysToExpiry alarm on the ACM certificate, and any expiry alarm for a tls certificate', async () => {
    expect(await checkStack(certificateExpiryAlarm, [acm, days('arn:aws:acm:us-east-1:1:certificate/abc')])).toEqual([]);
    const ca = stackResource('tls:index/selfSignedCert:SelfSignedCert', 'ca', { isCaCertificate: true });
    expect(await checkStack(certificateExpiryAlarm, [ca, alarm('ca-expiry', { namespace: 'ReadScore', metricName: 'CertificateDaysToExpiry', dimensions: {} })])).toEqual([]);
  });

  it('fails an ACM certificate whose alarm watches another certificate', async () => {
    const [[urn, message] = []] = await checkStack(certificateExpiryAlarm, [acm, days('arn:aws:acm:us-east-1:1:certificate/other')]);
    expect(urn).toBe(acm.urn);
    expect(message).toBe(
      'aws:acm/certificate:Certificate triton has no expiry alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/CertificateManager, metricName DaysToExpiry, dimensions { CertificateArn: certificate.arn }, threshold 30 (LessThanThreshold), alarmActions [the alarm topic ARN].',
    );
  });
});

describe('alarms-notify-sns', () => {
  it('passes an alarm that notifies a topic of the stack', async () => {
    expect(await checkStack(alarmsNotifySns, [topic, alarm('errors', { namespace: 'AWS/Lambda', metricName: 'Errors' })])).toEqual([]);
  });

  it('exempts an alarm that only drives a scaling policy of the stack', async () => {
    const policy = stackResource('aws:appautoscaling/policy:Policy', 'triton-scale', {
      arn: 'arn:aws:autoscaling:us-east-1:1:scalingPolicy:abc:resource/ecs/service/c/s:policyName/p',
    });
    const scaling = alarm('p95', { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', alarmActions: [policy.props.arn] });
    expect(await checkStack(alarmsNotifySns, [topic, policy, scaling])).toEqual([]);
  });

  it('fails an alarm without actions, with actions disabled, or notifying an outside ARN', async () => {
    const silent = alarm('silent', { namespace: 'AWS/Lambda', metricName: 'Errors', alarmActions: [] });
    const disabled = alarm('disabled', { namespace: 'AWS/Lambda', metricName: 'Errors', actionsEnabled: false });
    const elsewhere = alarm('elsewhere', { namespace: 'AWS/Lambda', metricName: 'Errors', alarmActions: ['arn:aws:sns:us-east-1:999999999999:other'] });
    expect((await checkStack(alarmsNotifySns, [topic, silent, disabled, elsewhere])).map(([, m]) => m)).toEqual([
      "aws:cloudwatch/metricAlarm:MetricAlarm silent notifies nobody: add the alarm SNS topic's ARN (an aws.sns.Topic of this stack) to alarmActions.",
      'aws:cloudwatch/metricAlarm:MetricAlarm disabled has actionsEnabled false: remove it so the alarm notifies its topic.',
      "aws:cloudwatch/metricAlarm:MetricAlarm elsewhere notifies arn:aws:sns:us-east-1:999999999999:other: add the alarm SNS topic's ARN (an aws.sns.Topic of this stack) to alarmActions.",
    ]);
  });
});
