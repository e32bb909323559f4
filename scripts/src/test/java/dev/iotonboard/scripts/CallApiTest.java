package dev.iotonboard.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallApiTest {

  @TempDir Path tmp;
  Sandbox sandbox;
  String thing;
  Path deviceDir;

  @BeforeEach
  void setUp() {
    sandbox = new Sandbox(tmp).withCa();
    thing = sandbox.createDevice("--key-type", "ec");
    deviceDir = sandbox.certsDir.resolve("devices").resolve(thing);
  }

  /** Against a scripted fake curl: the arguments and the exit codes. */
  @Nested
  class WithFakeCurl {

    @BeforeEach
    void fakeCurl() {
      sandbox.installFake("scripted", "curl");
    }

    @Test
    void callApi_getsTheSamplePathWithTheDeviceCertificate() {
      sandbox.script("curl", "0 200 {\"message\":\"Good.\"}");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com").assertExit(0);

      assertEquals("{\"message\":\"Good.\"}\n", r.stdout());
      String call = sandbox.calls("curl").get(0);
      assertTrue(call.endsWith(" https://api.example.com/sample"), call);
      assertTrue(call.contains("--cert " + deviceDir.resolve("deviceCert.crt")), call);
      assertTrue(call.contains("--key " + deviceDir.resolve("deviceCert.key")), call);
      assertFalse(call.contains("--cacert"), "the system trust store by default: " + call);
    }

    @Test
    void callApi_deviceDirWithoutThingNameIsNotNamedAfterTheLatestDevice() throws Exception {
      java.nio.file.Files.delete(deviceDir.resolve("thingName"));
      String other = sandbox.createDevice("--key-type", "ec");
      sandbox.script("curl", "0 200 {}");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com",
          "--device-dir", deviceDir.toString()).assertExit(0);

      assertFalse(r.stderr().contains(other), "the latest device is another one: " + r.all());
      assertTrue(sandbox.calls("curl").get(0).contains("--cert " + deviceDir.resolve("deviceCert.crt")));
    }

    @Test
    void callApi_targetsALocalStandInWithResolvePortAndCacert() {
      Path cacert = tmp.resolve("server-ca.pem");
      Sandbox.write(cacert, "ca\n");
      sandbox.script("curl", "0 200 {}");

      sandbox.run("device/call-api.sh", "--domain", "api.example.com", "--port", "9443", "--resolve", "127.0.0.1",
          "--cacert", cacert.toString(), "--path", "/other", "--thing-name", thing).assertExit(0);

      String call = sandbox.calls("curl").get(0);
      assertTrue(call.contains("--resolve api.example.com:9443:127.0.0.1"), call);
      assertTrue(call.contains("--cacert " + cacert), call);
      assertTrue(call.endsWith(" https://api.example.com:9443/other"), call);
    }

    @Test
    void callApi_fullCurlResolveSpecPassesThrough() {
      sandbox.script("curl", "0 200 {}");

      sandbox.run("device/call-api.sh", "--domain", "localhost", "--resolve", "localhost:9443:127.0.0.2").assertExit(0);

      assertTrue(sandbox.calls("curl").get(0).contains("--resolve localhost:9443:127.0.0.2"));
    }

    @Test
    void callApi_domainFromEnvironment() {
      sandbox.env("API_DOMAIN", "env.example.com").env("API_PORT", "8444").script("curl", "0 200 {}");

      sandbox.run("device/call-api.sh").assertExit(0);

      assertTrue(sandbox.calls("curl").get(0).endsWith(" https://env.example.com:8444/sample"));
    }

    @Test
    void callApi_httpErrorStatusIsExit3() {
      sandbox.script("curl", "0 403 {\"Message\":\"User is not authorized\"}");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com").assertExit(3)
          .assertStderrContains("HTTP 403");
      assertTrue(r.stdout().contains("not authorized"));
    }

    /** API Gateway's mutual TLS refusal: the handshake completes and the answer is 403 {"message":"Forbidden"}. */
    @Test
    void callApi_mutualTls403ForbiddenIsExit3_namedAsACertificateRefusal() {
      sandbox.script("curl", "0 403 {\"message\":\"Forbidden\"}");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com").assertExit(3)
          .assertStderrContains("HTTP 403", "refused the client certificate", "mutual TLS");
      assertEquals("{\"message\":\"Forbidden\"}\n", r.stdout());
    }

    @Test
    void callApi_authorizer403IsNotNamedAsACertificateRefusal() {
      sandbox.script("curl", "0 403 {\"message\":\"User is not authorized to access this resource\"}");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com").assertExit(3)
          .assertStderrContains("HTTP 403");
      assertFalse(r.stderr().contains("mutual TLS"), r::all);
    }

    @Test
    void callApi_tlsFailureWithTheCertificateIsExit4() {
      sandbox.script("curl", "35 000");

      sandbox.run("device/call-api.sh", "--domain", "api.example.com").assertExit(4).assertStderrContains("TLS");
    }

    @Test
    void callApi_withoutCertARefusalIsTheExpectedOutcome() {
      sandbox.script("curl", "35 000");

      sandbox.run("device/call-api.sh", "--domain", "api.example.com", "--without-cert").assertExit(0)
          .assertStderrContains("refused as expected");

      String call = sandbox.calls("curl").get(0);
      assertFalse(call.contains("--cert"), call);
      assertFalse(call.contains("--key"), call);
    }

    /** Not reaching the server says nothing about mutual TLS: no resolution, no connection, no answer in time. */
    @ParameterizedTest
    @ValueSource(strings = {"6", "7", "28", "60"})
    void callApi_withoutCertNotReachingTheServerIsAFailure(String curlExit) {
      sandbox.script("curl", curlExit + " 000");

      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "api.example.com", "--without-cert")
          .assertExit(4).assertStderrContains("curl exit " + curlExit);

      assertFalse(r.stderr().contains("refused as expected"), r::all);
    }

    @Test
    void callApi_withoutCertAnAnswerMeansMutualTlsIsNotEnforced() {
      sandbox.script("curl", "0 200 {}");

      sandbox.run("device/call-api.sh", "--domain", "api.example.com", "--without-cert").assertExit(5)
          .assertStderrContains("not enforced");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--domain=https://api.example.com", "--domain=api.example.com/sample",
        "--port=99999", "--path=sample", "--thing-name=nope", "--bogus"})
    void callApi_badArgumentsGiveUsage(String arg) {
      String[] args = arg.isEmpty() ? new String[0] : arg.split("=", 2);
      sandbox.script("curl", "0 200 {}");

      sandbox.run("device/call-api.sh", args).assertUsageError();

      assertEquals(List.of(), sandbox.calls("curl"));
    }

    @Test
    void callApi_missingDeviceSaysHowToCreateOne() {
      sandbox.run("device/call-api.sh", "--domain", "api.example.com", "--thing-name",
          "3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b").assertExit(1).assertStderrContains("create-device.sh");
    }
  }

  @Test
  void callApi_missingCurlGivesInstallHint() {
    sandbox.withoutTool("curl").run("device/call-api.sh", "--domain", "api.example.com").assertExit(1)
        .assertStderrContains("curl is required", "apt-get install curl");
  }

  @Test
  void callApi_helpDocumentsExitCodes() {
    Sandbox.Result r = sandbox.run("device/call-api.sh", "--help").assertExit(0);

    assertTrue(r.stdout().contains("--without-cert"));
    assertTrue(r.stdout().contains("--resolve"));
    assertTrue(r.stdout().contains("5  with --without-cert"));
  }

  /** Real curl against an openssl s_server that requires a client certificate from our CA. */
  @Test
  void callApi_realMutualTlsWithSniAndResolve() throws Exception {
    Path ca = sandbox.certsDir.resolve("rootCA.pem");
    try (TlsServer server = TlsServer.start(tmp, ca, sandbox.certsDir.resolve("rootCA.key"), true)) {
      String p = server.portArg();

      Sandbox.Result ok = sandbox.run("device/call-api.sh", "--domain", "api.test.example", "--port", p,
          "--resolve", "127.0.0.1", "--cacert", ca.toString()).assertExit(0);
      assertTrue(ok.stdout().contains("<HTML>") || ok.stdout().contains("<pre>"), ok::all);

      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", p, "--cacert", ca.toString(),
          "--without-cert").assertExit(0).assertStderrContains("refused as expected");

      // A device folder whose path holds a colon (curl's --cert separator) still works.
      Path odd = tmp.resolve("odd:dir\\x");
      CreateCaTest.copyTree(deviceDir, odd);
      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", p, "--cacert", ca.toString(),
          "--device-dir", odd.toString()).assertExit(0);

      // A certificate from another CA is refused too.
      Sandbox other = new Sandbox(tmp.resolve("other")).withCa();
      String stranger = other.createDevice("--key-type", "ec");
      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", p, "--cacert", ca.toString(),
          "--device-dir", other.certsDir.resolve("devices").resolve(stranger).toString()).assertExit(4);
    }
  }

  @Test
  void callApi_withoutCertNothingListeningIsAFailureNotARefusal() throws Exception {
    int port = TlsServer.portBelowEphemeralRange();

    sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", String.valueOf(port), "--without-cert")
        .assertExit(4).assertStderrContains("could not reach", "curl exit 7");
  }

  /** A port that answers in plain HTTP does not speak TLS at all: that is no handshake refusal. */
  @Test
  void callApi_withoutCertAServerThatDoesNotSpeakTlsIsAFailure() throws Exception {
    try (java.net.ServerSocket plain = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      Thread answer = new Thread(() -> {
        while (!plain.isClosed()) {
          try (java.net.Socket s = plain.accept()) {
            s.getInputStream().read(new byte[512]);
            s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes());
          } catch (java.io.IOException closed) {
            // the test is over
          }
        }
      });
      answer.setDaemon(true);
      answer.start();

      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", String.valueOf(plain.getLocalPort()),
          "--without-cert").assertExit(4).assertStderrContains("not a TLS");
    }
  }

  @Test
  void callApi_withoutCertAgainstATls13OnlyServerTheCertificateRequiredAlertIsTheRefusal() throws Exception {
    try (TlsServer server = TlsServer.start(tmp, sandbox.certsDir.resolve("rootCA.pem"),
        sandbox.certsDir.resolve("rootCA.key"), true, "-tls1_3")) {
      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", server.portArg(),
          "--cacert", sandbox.certsDir.resolve("rootCA.pem").toString(), "--without-cert")
          .assertExit(0).assertStderrContains("refused as expected", "certificate required");
    }
  }

  /**
   * A JDK HTTPS server that needs a client certificate, as local's API stand-in is: over TLS 1.3 its refusal is a
   * bare close or reset (curl 52 or 56, no alert); over TLS 1.2 the handshake fails (curl 35).
   */
  @Test
  void callApi_withoutCertAgainstAJdkHttpsServerNeedingClientAuthIsRefused() throws Exception {
    Path ca = sandbox.certsDir.resolve("rootCA.pem");
    TlsServer.Issued issued = TlsServer.issue(tmp, ca, sandbox.certsDir.resolve("rootCA.key"));
    Path p12 = tmp.resolve("server.p12");
    Sandbox.tool("openssl", "pkcs12", "-export", "-inkey", issued.key().toString(), "-in", issued.cert().toString(),
        "-passout", "pass:changeit", "-out", p12.toString()).assertExit(0);
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(p12)) {
      keys.load(in, "changeit".toCharArray());
    }
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, "changeit".toCharArray());
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    com.sun.net.httpserver.HttpsServer server = com.sun.net.httpserver.HttpsServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 5);
    server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(context) {
      @Override
      public void configure(com.sun.net.httpserver.HttpsParameters params) {
        javax.net.ssl.SSLParameters ssl = context.getDefaultSSLParameters();
        ssl.setNeedClientAuth(true);
        ssl.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        params.setSSLParameters(ssl);
      }
    });
    server.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.start();
    try {
      for (int i = 0; i < 3; i++) {
        sandbox.run("device/call-api.sh", "--domain", "localhost", "--port",
            String.valueOf(server.getAddress().getPort()), "--cacert", ca.toString(), "--without-cert")
            .assertExit(0).assertStderrContains("refused as expected");
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void callApi_withoutCertAServerThatDoesNotAskForOneAnswersAndThatIsExit5() throws Exception {
    try (TlsServer server = TlsServer.start(tmp, sandbox.certsDir.resolve("rootCA.pem"),
        sandbox.certsDir.resolve("rootCA.key"), false)) {
      sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", server.portArg(),
          "--cacert", sandbox.certsDir.resolve("rootCA.pem").toString(), "--without-cert")
          .assertExit(5).assertStderrContains("not enforced");
    }
  }

  /** curl's reason comes first in its message; its closing advice ("how to fix it, ...") is not a reason. */
  @Test
  void callApi_untrustedServerCertificateShowsCurlsReasonAndTheCacertHint() throws Exception {
    Sandbox other = new Sandbox(tmp.resolve("other")).withCa();
    try (TlsServer server = TlsServer.start(tmp, sandbox.certsDir.resolve("rootCA.pem"),
        sandbox.certsDir.resolve("rootCA.key"), true)) {
      Sandbox.Result r = sandbox.run("device/call-api.sh", "--domain", "localhost", "--port", server.portArg(),
          "--cacert", other.certsDir.resolve("rootCA.pem").toString()).assertExit(4)
          .assertStderrContains("SSL certificate problem", "--cacert");

      assertFalse(r.stderr().contains("how to fix it"), r::all);
    }
  }
}
