package dev.iotonboard.local.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A server-side trust manager: every client check goes to {@link #checkClient}, with the connection whose handshake
 * it is; server chains are never checked here, since the tool's listeners only ever act as servers.
 */
public abstract class ClientCertificateTrustManager extends X509ExtendedTrustManager {

    /**
     * Accepts the client's chain or throws, which fails the TLS handshake.
     *
     * @param connection the {@link Socket} or {@link SSLEngine} of the handshake (null when the JDK names none): what a
     *                   listener later asks about, so that a decision made here serves the whole connection
     */
    protected abstract void checkClient(X509Certificate[] chain, String authType, Object connection)
            throws CertificateException;

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClient(chain, authType, socket);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClient(chain, authType, engine);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClient(chain, authType, null);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("server certificates are not checked here");
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("server certificates are not checked here");
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("server certificates are not checked here");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
