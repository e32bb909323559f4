package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.lambda.core.CertificateIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry sync end to end, on the stack cdk.json gives (registrySync=createTrail, so the local IoT Core delivers
 * CloudTrail's events of the IoT writes to the sync's rule): a device onboarded by jitr.sh, whose activation's
 * UpdateCertificate reaches the sync and is skipped without any IoT read (the activation function wrote the item
 * itself); then an operator revokes the certificate with the AWS CLI alone, no script, and the sync carries it to the
 * table, where the API authorizer reads it.
 */
class RegistrySyncIT {
    private static final Pattern SKIPPED = Pattern.compile(
            "\"message\":\"skipped: the call was made by a function that writes the item itself\"[^\\n]*\"id\":\"([0-9a-f]{64})\"");

    private static E2eFixture e2e;
    private static String table;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2eFixture("registry-sync-e2e.log",
                Path.of("lambdas/certificate-activation/target/certificate-activation.jar"),
                Path.of("lambdas/thing-provisioning/target/thing-provisioning.jar"),
                Path.of("lambdas/device-api/target/device-api.jar"),
                Path.of("lambdas/reconciler/target/reconciler.jar"));
        Path cdkOut = e2e.createCaAndSynthesize();
        e2e.startToolOnFreePorts(cdkOut, "--retry-delays", "0.5,1", "--function-env", "AUTH_CACHE_TTL_SECONDS=1");
        assertTrue(e2e.apiPort() > 0, "API endpoint in the ready line:\n" + e2e.output());
        e2e.registerCa();
        table = e2e.aws("dynamodb", "list-tables").path("TableNames").get(0).asText();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void theFunctionsOwnCalls_reachTheSync_andCostNoIotRead_whileAnOperatorsRevocationReachesTheApi()
            throws Exception {
        String thing = e2e.createDevice();
        E2eFixture.Run jitr = e2e.jitr(thing, 240, "--mqtt-timeout", "120", "--timeout", "120", "--initial-delay",
                "1", "--max-delay", "4");
        assertEquals(0, jitr.exit(), "jitr.sh exit " + jitr.exit() + ":\n" + jitr.err());
        Path dir = e2e.certs.resolve("devices/" + thing);
        String id = CertificateIds.fromPem(Files.readString(dir.resolve("deviceCert.crt")));
        e2e.waitFor("the API to accept " + thing, Duration.ofSeconds(30), () -> e2e.callApi(dir).exit() == 0);

        e2e.waitFor("the sync to skip the activation's UpdateCertificate of " + id, Duration.ofSeconds(30),
                () -> skipped().contains(id));
        assertEquals(0, occurrences("\"message\":\"certificate synced\""),
                "no IoT read by the sync for the functions' own calls:\n" + e2e.output());
        JsonNode item = item(id);
        assertEquals("ACTIVE", item.path("status").path("S").asText(), item.toString());
        assertEquals(thing, item.path("boundThing").path("S").asText(), item.toString());

        e2e.cli("update-certificate", "--certificate-id", id, "--new-status", "REVOKED");

        e2e.waitFor("the sync to record " + id + " REVOKED", Duration.ofSeconds(30),
                () -> item(id).path("status").path("S").asText().equals("REVOKED"));
        assertEquals("SYNCED", item(id).path("step").path("S").asText());
        E2eFixture.Run[] last = new E2eFixture.Run[1];
        e2e.waitFor("the API to refuse " + thing + " (authorizer cache TTL 1 s here)", Duration.ofSeconds(30),
                () -> {
                    last[0] = e2e.callApi(dir);
                    return last[0].exit() == 3;
                });
        assertTrue(last[0].err().contains("HTTP 403"), last[0].err());
    }

    private static List<String> skipped() {
        Matcher m = SKIPPED.matcher(e2e.output());
        List<String> ids = new java.util.ArrayList<>();
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private static int occurrences(String text) {
        String output = e2e.output();
        int count = 0;
        for (int at = output.indexOf(text); at >= 0; at = output.indexOf(text, at + 1)) {
            count++;
        }
        return count;
    }

    private static JsonNode item(String id) {
        return e2e.aws("dynamodb", "get-item", "--table-name", table, "--consistent-read", "--key",
                "{\"pk\":{\"S\":\"cert#" + id + "\"}}").path("Item");
    }
}
