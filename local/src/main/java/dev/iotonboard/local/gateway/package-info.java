/**
 * The shared HTTP edge: {@code Gateway}, the control-plane port where the admin routes, SQS, Lambda Invoke and the IoT
 * control plane are tried in turn, and {@code HttpServers}, which creates every JDK HTTP(S) server of the tool (the
 * gateway, each container's Runtime API, the API stand-in) with TCP_NODELAY.
 */
package dev.iotonboard.local.gateway;
