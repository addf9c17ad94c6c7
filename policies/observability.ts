/**
 * Observability policies: log groups expire, and the alarms an operator needs exist — Lambda
 * errors, ALB 5xx, certificate expiry (DLQ depth is in messaging.ts) — each notifying an SNS topic.
 */
import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { alarmsWatching } from './alarms';
import { awsName, identifiers, label, resourcesOf, validateTokens } from './validation';
import { asArray, asNumber, asString } from './values';

/** Log groups keep logs for a bounded time (cost, and the data-retention promise). */
export const logGroupRetention: ResourceValidationPolicy = {
  name: 'log-group-retention',
  description: 'Every CloudWatch log group must set retentionInDays (logs never expire otherwise).',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('logGroup', (props, args, report) => {
    if ((asNumber(props.retentionInDays) ?? 0) > 0) return;
    report(`${label(args)} keeps logs forever: set retentionInDays (readscore:logRetentionDays, e.g. 30).`);
  }),
};

/** Every Lambda function has an alarm on its Errors metric. */
export const lambdaErrorsAlarm: StackValidationPolicy = {
  name: 'lambda-errors-alarm',
  description: 'Every Lambda function must have a CloudWatch alarm on AWS/Lambda Errors for its FunctionName.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const fn of resourcesOf(args.resources, 'lambdaFunction')) {
      const name = awsName(fn);
      if (alarmsWatching(args.resources, (m) => m.namespace === 'AWS/Lambda' && m.metricName === 'Errors' && m.dimensions.FunctionName === name).length) continue;
      report(
        `${label(fn)} has no errors alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/Lambda, metricName Errors, dimensions { FunctionName: "${name}" }, alarmActions [the alarm topic ARN].`,
        fn.urn,
      );
    }
  },
};

const ALB_5XX = ['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count'];

/** Every application load balancer has an alarm on 5xx responses. */
export const alb5xxAlarm: StackValidationPolicy = {
  name: 'alb-5xx-alarm',
  description: 'Every application load balancer must have a CloudWatch alarm on AWS/ApplicationELB HTTPCode_ELB_5XX_Count or HTTPCode_Target_5XX_Count.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const lb of resourcesOf(args.resources, 'loadBalancer')) {
      const type = asString(lb.props.loadBalancerType) ?? 'application';
      if (type !== 'application') continue;
      const ids = [asString(lb.props.arnSuffix), ...identifiers(lb)].filter((v): v is string => Boolean(v));
      const alarms = alarmsWatching(
        args.resources,
        (m) => m.namespace === 'AWS/ApplicationELB' && ALB_5XX.includes(m.metricName ?? '') && ids.includes(m.dimensions.LoadBalancer ?? ''),
      );
      if (alarms.length) continue;
      report(
        `${label(lb)} has no 5xx alarm: add an aws.cloudwatch.MetricAlarm on namespace AWS/ApplicationELB, metricName HTTPCode_Target_5XX_Count (or HTTPCode_ELB_5XX_Count), dimensions { LoadBalancer: lb.arnSuffix }, alarmActions [the alarm topic ARN].`,
        lb.urn,
      );
    }
  },
};

const CERTIFICATE_TYPES =
  /^(aws:acm\/certificate:Certificate|aws:iam\/serverCertificate:ServerCertificate|tls:index\/(selfSignedCert:SelfSignedCert|locallySignedCert:LocallySignedCert))$/;

/** Certificates the stack issues or imports have an expiry alarm, so a lapse is seen weeks ahead. */
export const certificateExpiryAlarm: StackValidationPolicy = {
  name: 'certificate-expiry-alarm',
  description: 'A stack with certificates must alarm on their expiry: AWS/CertificateManager DaysToExpiry per ACM certificate, or a DaysToExpiry metric for the others.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report: ReportViolation) => {
    const certificates = args.resources.filter((r) => CERTIFICATE_TYPES.test(r.type));
    const expiryAlarms = (match: (arn: string | undefined) => boolean) =>
      alarmsWatching(args.resources, (m) => /DaysToExpiry|expir/i.test(m.metricName ?? '') && match(m.dimensions.CertificateArn));
    for (const cert of certificates) {
      const acm = cert.type === 'aws:acm/certificate:Certificate';
      const ids = identifiers(cert);
      if (expiryAlarms((arn) => (acm ? arn !== undefined && ids.includes(arn) : true)).length) continue;
      const metric = acm
        ? `namespace AWS/CertificateManager, metricName DaysToExpiry, dimensions { CertificateArn: certificate.arn }`
        : 'a DaysToExpiry metric the stack publishes for this certificate (or import it into ACM and alarm on AWS/CertificateManager DaysToExpiry)';
      report(`${label(cert)} has no expiry alarm: add an aws.cloudwatch.MetricAlarm on ${metric}, threshold 30 (LessThanThreshold), alarmActions [the alarm topic ARN].`, cert.urn);
    }
  },
};

const SCALING_POLICY_TYPES = ['aws:appautoscaling/policy:Policy', 'aws:autoscaling/policy:Policy'];
const SCALING_POLICY_ARN = /^arn:aws[\w-]*:autoscaling:[^:]*:\d*:scalingPolicy:/;

/** Every alarm notifies an SNS topic of the stack (an alarm nobody hears is not an alarm); scaling alarms are exempt. */
export const alarmsNotifySns: StackValidationPolicy = {
  name: 'alarms-notify-sns',
  description: 'Every CloudWatch metric alarm (other than one that only drives a scaling policy) must have actions enabled and an SNS topic of the stack in alarmActions.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const topics = new Set(resourcesOf(args.resources, 'snsTopic').flatMap(identifiers));
    const scalingPolicies = new Set(args.resources.filter((r) => SCALING_POLICY_TYPES.includes(r.type)).flatMap(identifiers));
    for (const alarm of resourcesOf(args.resources, 'metricAlarm')) {
      const actions = asArray(alarm.props.alarmActions).filter((a): a is string => typeof a === 'string');
      if (actions.length > 0 && actions.every((a) => scalingPolicies.has(a) || SCALING_POLICY_ARN.test(a))) continue; // drives scaling, not people
      if (alarm.props.actionsEnabled === false) {
        report(`${label(alarm)} has actionsEnabled false: remove it so the alarm notifies its topic.`, alarm.urn);
      } else if (!actions.some((a) => topics.has(a))) {
        report(
          `${label(alarm)} notifies ${actions.length ? actions.join(', ') : 'nobody'}: add the alarm SNS topic's ARN (an aws.sns.Topic of this stack) to alarmActions.`,
          alarm.urn,
        );
      }
    }
  },
};

/** The observability policies. */
export const observabilityPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  logGroupRetention,
  lambdaErrorsAlarm,
  alb5xxAlarm,
  certificateExpiryAlarm,
  alarmsNotifySns,
];
