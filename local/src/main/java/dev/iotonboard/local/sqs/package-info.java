/**
 * SQS, locally: standard queues named after the stack's {@code AWS::SQS::Queue} resources with SQS's visibility,
 * receipt handle, retention and purge semantics ({@code SqsQueues}, the model, no HTTP), the SQS API on the gateway
 * ({@code SqsApi}: the actions) over both wire protocols of the service model ({@code SqsWire}: JSON and query), and
 * the service's error shapes ({@code SqsException}). The functions' on-failure records land here.
 */
package dev.iotonboard.local.sqs;
