/**
 * Lambda, locally: {@code LambdaRunner} (the facade: invoke, invokeAsync, counters, the crash target) over the
 * containers of each function ({@code ContainerPool}), each container a JVM under the real runtime interface client
 * ({@code Container}) with a Runtime API of its own ({@code RuntimeApi}), the asynchronous queues with their retries
 * and on-failure records ({@code AsyncInvocations}), the runtime client's jars and JNI library
 * ({@code RuntimeClient}); and Lambda's Invoke action on the gateway ({@code LambdaApi}).
 */
package dev.iotonboard.local.lambda;
