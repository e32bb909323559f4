package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.testing.TestPki;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's own behaviour; what it answers over REST-JSON is IotApi's (and OneIotModelTest's, in local). */
class RegistryTest {
    private static final String POLICY =
            "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iot:Publish\",\"Resource\":\"*\"}}";

    @Test
    void stateFile_keepsEverythingAcrossRestarts(@TempDir Path dir) {
        Path file = dir.resolve("registry.json");
        Registry first = new Registry("us-east-1", "000000000000", file);
        TestPki ca = TestPki.newCa("CA");
        String caId = first.caCertificates().register(CertificateIds.toPem(ca.caCertificate()),
                ca.issue(first.registrationCode()).pem(), true, true).id();
        String certId = first.certificates().registerPendingActivation(ca.issueDevice().certificate(), caId).id();
        first.certificates().update(certId, "ACTIVE");
        first.policies().put("app", "{}");
        first.policies().attach("app", first.certificateArn(certId));
        first.things().create("t1", Map.of("k", "v"));
        first.thingPrincipals().attach("t1", first.certificateArn(certId), "EXCLUSIVE_THING");

        Registry second = new Registry("us-east-1", "000000000000", file);
        assertEquals(first.registrationCode(), second.registrationCode());
        assertEquals("ACTIVE", second.certificates().get(certId).status());
        assertEquals("ENABLE", second.caCertificates().get(caId).autoRegistrationStatus());
        assertEquals(List.of("app"), second.policies().attached(second.certificateArn(certId)).stream()
                .map(Registry.Policy::name).toList());
        assertEquals(Map.of("k", "v"), second.things().get("t1").attributes());
        assertEquals(List.of("t1"), second.thingPrincipals().things(second.certificateArn(certId)));
    }

    @Test
    void stateFile_keepsThingTypesGroupsPolicyVersionsAndRegistrationConfig(@TempDir Path dir) {
        Path file = dir.resolve("registry.json");
        Registry first = new Registry("us-east-1", "000000000000", file);
        TestPki ca = TestPki.newCa("CA");
        String caId = first.caCertificates().register(CertificateIds.toPem(ca.caCertificate()),
                ca.issue(first.registrationCode()).pem(), true, true).id();
        first.caCertificates().registrationConfig(caId, new Registry.RegistrationConfig("{}", null, "tpl"));
        first.thingTypes().create("sensor", "a sensor", List.of("site"));
        first.things().create("t1", "sensor", Map.of("k", "v"));
        first.thingGroups().create("fleet", null, Map.of());
        first.thingGroups().addThing("fleet", "t1");
        first.policies().create("app", POLICY.replace("Allow", "Deny"));
        first.policies().createVersion("app", POLICY, true);
        first.policies().attach("app", first.thingGroupArn("fleet"));

        Registry second = new Registry("us-east-1", "000000000000", file);
        assertEquals("tpl", second.caCertificates().registrationConfig(caId).orElseThrow().templateName());
        assertEquals(List.of("site"), second.thingTypes().get("sensor").searchableAttributes());
        assertEquals("sensor", second.things().get("t1").thingTypeName());
        assertEquals(List.of("fleet"), second.thingGroups().groupsFor("t1"));
        assertEquals("2", second.policies().get("app").defaultVersionId());
        assertEquals(POLICY, second.policies().get("app").document());
        assertEquals(2, second.policies().versions("app").size());
        assertEquals(List.of(second.thingGroupArn("fleet")), second.policies().targets("app"));
    }

    @Test
    void stateFile_ofAnOlderVersion_readsPoliciesAsOneVersion(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("registry.json");
        java.nio.file.Files.writeString(file, "{\"registrationCode\":\"abc\",\"caCertificates\":[],"
                + "\"certificates\":[],\"things\":[{\"name\":\"t1\",\"id\":\"i\",\"attributes\":{},"
                + "\"version\":1}],\"policies\":[{\"name\":\"app\",\"document\":\"{}\",\"creationDate\":1.0}],"
                + "\"targetPolicies\":{},\"thingPrincipals\":[]}");
        Registry registry = new Registry("us-east-1", "000000000000", file);
        assertEquals("1", registry.policies().get("app").defaultVersionId());
        assertEquals(1, registry.policies().versions("app").size());
        assertEquals(null, registry.things().get("t1").thingTypeName());
        assertEquals(List.of(), registry.thingGroups().list());
    }
}
