/**
 * TLS material the listeners share: the tool's own CA and server certificate ({@code Pki}: generated at each start,
 * its root written as {@code server-ca.pem}), key stores and server contexts, the key manager that serves only clients
 * naming the endpoint in SNI ({@code EndpointKeyManager}), the signature algorithms and keys AWS accepts in a client
 * certificate ({@code CertificateAlgorithms}), and the server-side trust manager base
 * ({@code ClientCertificateTrustManager}) that the device listeners and the API stand-in build on.
 */
package dev.iotonboard.local.tls;
