/**
 * API Gateway's custom domain, locally: the REST API the stack defines read from the template ({@code ApiDefinition}:
 * resources, methods, REQUEST authorizers, stage, the mutual TLS truststore), the HTTPS listener, the authorizer's
 * policy and the Lambda proxy integration ({@code ApiGateway}), the mutual TLS verdict on a client certificate
 * ({@code MutualTls}), and the events it gives the functions ({@code ApiEvents}).
 */
package dev.iotonboard.local.apigateway;
