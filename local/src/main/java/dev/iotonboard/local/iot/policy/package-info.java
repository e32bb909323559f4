/**
 * IoT policy evaluation ({@code PolicyEvaluator}): actions, resources, policy variables, conditions and explicit deny,
 * over any documents and context. It knows nothing of certificates or connections; the device listeners give it
 * the policies attached to a certificate and their connection's variables.
 */
package dev.iotonboard.local.iot.policy;
