package dev.iotonboard.local.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.WeakHashMap;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server's key manager, giving the tool's certificate only to a client that names the endpoint in the TLS server
 * name indication (SNI): AWS IoT refuses connection attempts without SNI (mqtt.md, protocols.md, x509-client-certs.md:
 * the endpoint goes in {@code host_name}), and an API Gateway custom domain is found by the name the client asks for.
 * Without SNI, or with another name, no certificate is chosen and the handshake fails (alert handshake_failure; curl
 * exit 35). curl sends no SNI for an IP address, so clients must connect by name.
 */
public final class EndpointKeyManager extends X509ExtendedKeyManager {

    /** Told once per refused handshake. */
    public interface Refusals {
        /** @param connection the {@link SSLSocket} or {@link SSLEngine} of the handshake */
        void refused(Object connection, String reason);
    }

    private final X509ExtendedKeyManager delegate;
    private final String endpoint;
    private final Refusals refusals;
    private final Set<SSLSession> reported = Collections.synchronizedSet(Collections.newSetFromMap(
            new WeakHashMap<>()));

    /** @param endpoint the one host name clients must send as SNI (case-insensitive) */
    public EndpointKeyManager(X509ExtendedKeyManager delegate, String endpoint, Refusals refusals) {
        this.delegate = delegate;
        this.endpoint = endpoint.toLowerCase(Locale.ROOT);
        this.refusals = refusals;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        String alias = delegate.chooseServerAlias(keyType, issuers, socket);
        SSLSession handshake = socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null;
        return alias != null && named(handshake, socket) ? alias : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        String alias = delegate.chooseEngineServerAlias(keyType, issuers, engine);
        return alias != null && named(engine == null ? null : engine.getHandshakeSession(), engine) ? alias : null;
    }

    /** True when the handshake names the endpoint; else the refusal is reported (once per handshake). */
    private boolean named(SSLSession handshake, Object connection) {
        List<SNIServerName> names = handshake instanceof ExtendedSSLSession extended
                ? extended.getRequestedServerNames() : List.of();
        String refusal = refusal(names);
        if (refusal != null && (handshake == null || reported.add(handshake))) {
            refusals.refused(connection, refusal);
        }
        return refusal == null;
    }

    private String refusal(List<SNIServerName> names) {
        if (names == null || names.isEmpty()) {
            return "no SNI (server name indication) in the TLS handshake: connect by the endpoint's name, "
                    + endpoint + ", not by address";
        }
        for (SNIServerName name : names) {
            if (name instanceof SNIHostName host && host.getAsciiName().toLowerCase(Locale.ROOT).equals(endpoint)) {
                return null;
            }
        }
        return "SNI " + names.stream().map(n -> n instanceof SNIHostName h ? h.getAsciiName() : n.toString())
                .toList() + " is not the endpoint " + endpoint;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return delegate.getPrivateKey(alias);
    }

    /** The tool's listeners are servers only. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
