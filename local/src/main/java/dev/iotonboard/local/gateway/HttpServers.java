package dev.iotonboard.local.gateway;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Creates the tool's JDK HTTP(S) servers (control plane, each container's Runtime API, the API stand-in), all with
 * TCP_NODELAY: the JDK server writes headers and body separately, and with Nagle's algorithm and the client's delayed
 * ACK each exchange stalls ~40 ms (two per Lambda invocation on the Runtime API).
 */
public final class HttpServers {
    static {
        // Read once, when the JDK's server configuration is first loaded; an explicit -D setting wins.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private HttpServers() {
    }

    /** A plain HTTP server on the loopback address ({@code port} 0: any free port). */
    public static HttpServer loopback(int port, int backlog) throws IOException {
        return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
    }

    /** An HTTPS server on {@code address}; the caller sets its {@code HttpsConfigurator}. */
    public static HttpsServer https(InetSocketAddress address, int backlog) throws IOException {
        return HttpsServer.create(address, backlog);
    }
}
