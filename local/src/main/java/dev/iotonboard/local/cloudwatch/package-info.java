/**
 * CloudWatch, locally: the metric data points the stand-in can honestly observe ({@code MetricStore}): the
 * embedded-metric-format lines the functions write to their logs ({@code EmfParser}, {@code FunctionLogs}) and the
 * AWS metrics its own rooms see ({@code ServiceMetrics}: Lambda errors, SQS queue depth, API 5xx, IoT rule action
 * failures); and the stack's {@code AWS::CloudWatch::Alarm} resources ({@code AlarmDefinition}) evaluated over those
 * data points by CloudWatch's rules ({@code AlarmEvaluator}, {@code Alarms}). local/README.md "CloudWatch metrics and
 * alarms" lists each metric with its source and what is approximated.
 */
package dev.iotonboard.local.cloudwatch;
