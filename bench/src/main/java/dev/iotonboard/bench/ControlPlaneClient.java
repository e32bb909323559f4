package dev.iotonboard.bench;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.RegisterCaCertificateRequest;

/** The AWS SDK's IoT client against the local control plane (any credentials; the tool does not check them). */
public final class ControlPlaneClient {

    private ControlPlaneClient() {
    }

    public static IotClient create(URI endpoint) {
        return IotClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench")))
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)))
                .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD))
                .build();
    }

    /**
     * What scripts/ca/register-ca.sh does: GetRegistrationCode, a verification certificate with the code as CN,
     * RegisterCACertificate set active with auto-registration. Returns the CA certificate id IoT answers.
     */
    public static String registerCa(IotClient iot, BenchPki pki) {
        String code = iot.getRegistrationCode(r -> { }).registrationCode();
        BenchPki.Issued verification = pki.verificationCertificate(code);
        return iot.registerCACertificate(RegisterCaCertificateRequest.builder()
                .caCertificate(pki.ca().pem())
                .verificationCertificate(verification.pem())
                .setAsActive(true)
                .allowAutoRegistration(true)
                .build()).certificateId();
    }
}
