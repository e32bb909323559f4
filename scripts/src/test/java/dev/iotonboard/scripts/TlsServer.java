package dev.iotonboard.scripts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real TLS server for the script tests: {@code openssl s_server -www} with a certificate for localhost and
 * api.test.example signed by a CA of the test, requiring a client certificate from that CA when asked. Real curl
 * against it gives curl's real exit codes and messages.
 */
final class TlsServer implements AutoCloseable {

  final int port;
  private final Process process;

  private TlsServer(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /**
   * Starts a server in dir whose certificate caPem/caKey signs; with requireClientCert, the handshake needs a client
   * certificate that caPem verifies. More s_server options (e.g. -tls1_3) may follow.
   */
  static TlsServer start(Path dir, Path caPem, Path caKey, boolean requireClientCert, String... options)
      throws Exception {
    Issued server = issue(dir, caPem, caKey);
    int port = portBelowEphemeralRange();
    List<String> command = new ArrayList<>(List.of("openssl", "s_server", "-quiet", "-www",
        "-accept", String.valueOf(port), "-cert", server.cert().toString(), "-key", server.key().toString()));
    if (requireClientCert) {
      command.addAll(List.of("-CAfile", caPem.toString(), "-Verify", "1", "-verify_return_error"));
    }
    command.addAll(List.of(options));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile()).start();
    try {
      awaitPort(port);
    } catch (RuntimeException | InterruptedException e) {
      process.destroy();
      throw e;
    }
    return new TlsServer(port, process);
  }

  /** A server key and certificate (PEM files in dir). */
  record Issued(Path key, Path cert) {}

  /** A P-256 key and a server certificate for localhost and api.test.example, signed by caPem/caKey. */
  static Issued issue(Path dir, Path caPem, Path caKey) {
    Path serverKey = dir.resolve("server.key");
    Path serverCsr = dir.resolve("server.csr");
    Path serverCert = dir.resolve("server.pem");
    Path ext = dir.resolve("server.ext");
    Sandbox.write(ext, "subjectAltName=DNS:localhost,DNS:api.test.example\nextendedKeyUsage=serverAuth\n");
    Sandbox.tool("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", serverKey.toString()).assertExit(0);
    Sandbox.tool("openssl", "req", "-new", "-key", serverKey.toString(), "-subj", "/CN=api.test.example",
        "-out", serverCsr.toString()).assertExit(0);
    Sandbox.tool("openssl", "x509", "-req", "-in", serverCsr.toString(), "-CA", caPem.toString(),
        "-CAkey", caKey.toString(), "-days", "1", "-extfile", ext.toString(),
        "-set_serial", "7", "-out", serverCert.toString()).assertExit(0);
    return new Issued(serverKey, serverCert);
  }

  String portArg() {
    return String.valueOf(port);
  }

  @Override
  public void close() {
    process.destroy();
  }

  /**
   * A port nothing listens on now, below the kernel's ephemeral range, where no outgoing connection can take it
   * before s_server binds it (a {@code bind(0)} port lies inside that range).
   */
  static int portBelowEphemeralRange() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20000, 32000);
      try (ServerSocket s = new ServerSocket(port)) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port in 20000..32000");
  }

  static void awaitPort(int port) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("openssl s_server did not start on port " + port);
  }
}
