package dev.iotonboard.iot.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.InvalidRequestException;

/**
 * The asynchronous DetachThingPrincipal through the real SDK against the IoT double, its clock moved by the test: the
 * detachment shows after the registry's propagation delay; until then the principal is listed and the thing cannot be
 * deleted (API reference, DetachThingPrincipal: "This call is asynchronous").
 */
class DetachPropagationTest {
    private static final TestPki PKI = TestPki.newCa("propagation-ca");

    private final IotDouble iot = IotDouble.start();
    private final IotClient client = iot.client();
    private final String alice = iot.certificateArn(iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE"));
    private final String bob = iot.certificateArn(iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE"));

    @AfterEach
    void stop() {
        client.close();
        iot.close();
    }

    @Test
    void theDetachmentShowsAfterTheDelay_untilThenListedAndTheThingUndeletable() {
        iot.addThing("t1", alice, bob);
        // Minutes, not seconds: the double's clock also runs in real time, and a loaded machine is slow.
        iot.detachPropagationDelay(Duration.ofMinutes(10));

        client.detachThingPrincipal(r -> r.thingName("t1").principal(alice));
        iot.advanceClock(Duration.ofMinutes(9));
        assertEquals(List.of(alice, bob), principals("t1"), "still propagating");
        assertEquals(List.of("t1"), client.listPrincipalThings(r -> r.principal(alice)).things());
        InvalidRequestException refused = assertThrows(InvalidRequestException.class,
                () -> client.deleteThing(r -> r.thingName("t1")));
        assertEquals("Cannot delete. Thing t1 is still attached to one or more principals",
                refused.awsErrorDetails().errorMessage());
        client.detachThingPrincipal(r -> r.thingName("t1").principal(alice));

        iot.advanceClock(Duration.ofMinutes(1));
        assertEquals(List.of(bob), principals("t1"), "the first deadline holds: detaching again does not delay it");
        assertEquals(List.of(), client.listPrincipalThings(r -> r.principal(alice)).things());
    }

    @Test
    void attachingAgainWhileTheDetachmentPropagates_keepsThePrincipal() {
        iot.addThing("t1", bob);
        iot.detachPropagationDelay(Duration.ofSeconds(5));
        client.detachThingPrincipal(r -> r.thingName("t1").principal(bob));
        client.attachThingPrincipal(r -> r.thingName("t1").principal(bob));
        iot.advanceClock(Duration.ofSeconds(10));
        assertEquals(List.of(bob), principals("t1"));
    }

    private List<String> principals(String thing) {
        return client.listThingPrincipals(r -> r.thingName(thing)).principals();
    }
}
