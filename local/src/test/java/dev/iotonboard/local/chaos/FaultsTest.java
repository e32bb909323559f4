package dev.iotonboard.local.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.iot.model.IotException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Spec grammar, matching and counters. */
class FaultsTest {
    private static final List<String> FUNCTIONS = List.of("RegistrationCertificateActivationA1B2C3",
            "ThingProvisioningD4E5F6", "ThingProvisioningExtra99");

    private static List<Integer> firing(int calls, BooleanSupplier call) {
        List<Integer> fired = new ArrayList<>();
        for (int i = 1; i <= calls; i++) {
            if (call.getAsBoolean()) {
                fired.add(i);
            }
        }
        return fired;
    }

    @Test
    void parse_readsTheThreeForms() {
        Faults.Spec fail = Faults.parse("UpdateCertificate:3:503");
        assertEquals(Faults.Type.FAIL, fail.type());
        assertEquals("UpdateCertificate", fail.target());
        assertEquals(3, fail.nth());
        assertEquals(Faults.Kind.UNAVAILABLE, fail.kind());
        Faults.Spec every = Faults.parse("AttachPolicy:every=4:throttle");
        assertEquals(4, every.every());
        assertEquals(Faults.Kind.THROTTLE, every.kind());
        Faults.Spec crash = Faults.parse("crash:AttachPolicy:every=2");
        assertEquals(Faults.Type.CRASH, crash.type());
        assertEquals("AttachPolicy", crash.target());
        assertNull(crash.kind());
        Faults.Spec drop = Faults.parse("drop:Anything:7");
        assertEquals(Faults.Type.DROP, drop.type());
        assertEquals(7, drop.nth());
    }

    @Test
    void parse_refusesBadSpecs_namingTheProblem() {
        String[][] cases = {
            {"UpdateCertificate:1", "three ':'-separated parts"},
            {"UpdateCertificates:1:500", "unknown operation UpdateCertificates"},
            {"UpdateCertificate:1:404", "unknown kind 404"},
            {"UpdateCertificate:0:500", "N must be a positive whole number"},
            {"UpdateCertificate:every=x:500", "every=K must be a positive whole number"},
            {"crash:Nope:1", "unknown operation Nope"},
            {"crash:AttachPolicy:-2", "positive whole number"},
            {"drop::1", "no function"},
            {"", "three ':'-separated parts"},
            {"DynamoDB.Scan:1:500", "unknown DynamoDB operation DynamoDB.Scan"},
            {"DynamoDB.GetItem:1:503", "a DynamoDB call fails with 500 or throttle"},
            {"crash:DynamoDB.GetItem:1", "unknown operation DynamoDB.GetItem"},
        };
        for (String[] c : cases) {
            Faults.SpecException e = assertThrows(Faults.SpecException.class, () -> Faults.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("'" + c[0] + "'"),
                    c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void failNth_firesOnce_everyK_firesOnMultiples_otherOperationsUntouched() {
        Faults faults = new Faults(FUNCTIONS);
        faults.add("UpdateCertificate:3:500");
        faults.add("AttachPolicy:every=2:410");
        assertEquals(List.of(3), firing(7, () -> faults.failure("UpdateCertificate").isPresent()));
        assertEquals(List.of(2, 4, 6), firing(7, () -> faults.failure("AttachPolicy").isPresent()));
        assertEquals(List.of(), firing(7, () -> faults.failure("DetachPolicy").isPresent()));
        assertEquals(List.of(), firing(7, () -> faults.crashAfter("UpdateCertificate")));
        List<Faults.Status> list = faults.list();
        assertEquals(7, list.get(0).matched());
        assertEquals(1, list.get(0).injected());
        assertEquals(3, list.get(1).injected());
    }

    @Test
    void dynamoDbOperations_failByTheirPrefixedName_only() {
        Faults faults = new Faults(FUNCTIONS);
        faults.add("DynamoDB.GetItem:every=2:throttle");
        assertEquals(List.of(2, 4, 6), firing(7, () -> faults.failureKind("DynamoDB.GetItem")
                .filter(kind -> kind == Faults.Kind.THROTTLE).isPresent()));
        assertEquals(List.of(), firing(7, () -> faults.failure("GetItem").isPresent()));
        assertEquals(List.of(), firing(7, () -> faults.failureKind("DynamoDB.UpdateItem").isPresent()));
    }

    @Test
    void kinds_answerTheServiceModelShapes() {
        String[][] kinds = {{"500", "InternalFailureException", "500"}, {"503", "ServiceUnavailableException", "503"},
            {"throttle", "ThrottlingException", "400"}, {"410", "LimitExceededException", "410"}};
        for (String[] k : kinds) {
            Faults faults = new Faults(FUNCTIONS);
            faults.add("GetPolicy:1:" + k[0]);
            Optional<IotException> e = faults.failure("GetPolicy");
            assertEquals(k[1], e.orElseThrow().errorType());
            assertEquals(Integer.parseInt(k[2]), e.orElseThrow().status());
        }
    }

    @Test
    void crashAndDrop_countOnlyTheirOwnEvents() {
        Faults faults = new Faults(FUNCTIONS);
        faults.add("crash:AttachPolicy:2");
        faults.add("drop:ThingProvisioningD4E5F6:every=3");
        assertEquals(List.of(), firing(3, () -> faults.failure("AttachPolicy").isPresent()));
        assertEquals(List.of(2), firing(4, () -> faults.crashAfter("AttachPolicy")));
        assertEquals(List.of(3, 6), firing(6, () -> faults.drop("ThingProvisioningD4E5F6")));
        assertEquals(List.of(), firing(6, () -> faults.drop("ThingProvisioningExtra99")));
        faults.clear();
        assertEquals(List.of(), faults.list());
        assertFalse(faults.crashAfter("AttachPolicy"));
    }

    @Test
    void dropFunction_isALogicalIdOrAUniquePrefix() {
        Faults faults = new Faults(FUNCTIONS);
        assertEquals("RegistrationCertificateActivationA1B2C3",
                faults.add("drop:RegistrationCertificateActivation:every=20").target());
        assertEquals("ThingProvisioningD4E5F6", faults.add("drop:ThingProvisioningD4E5F6:1").target());
        Faults.SpecException ambiguous = assertThrows(Faults.SpecException.class,
                () -> faults.add("drop:ThingProvisioning:1"));
        assertTrue(ambiguous.getMessage().contains("prefix of several functions: ThingProvisioningD4E5F6, "
                + "ThingProvisioningExtra99"), ambiguous.getMessage());
        Faults.SpecException none = assertThrows(Faults.SpecException.class, () -> faults.add("drop:Nope:1"));
        assertTrue(none.getMessage().contains("no function Nope (functions: RegistrationCertificateActivationA1B2C3"),
                none.getMessage());
        assertEquals(2, faults.list().size(), "refused specs are not added");
    }
}
