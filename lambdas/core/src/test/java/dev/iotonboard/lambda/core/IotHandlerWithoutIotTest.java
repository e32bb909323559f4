package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iot.IotClient;

/** A handler built without an IoT client ({@code IotHandler(Class, Env, Clock)}): the authorizer's shape. */
class IotHandlerWithoutIotTest {

    record Ping(String name) {
    }

    /** Echoes the event's name; declares {@code requests} as its IoT requests. */
    static final class Echo extends IotHandler<Ping, Ping> {
        private final List<Consumer<IotClient>> requests;
        private final boolean touchIot;

        Echo(List<Consumer<IotClient>> requests, boolean touchIot) {
            super(Ping.class, Env.of(Map.of()), Clock.systemUTC());
            this.requests = requests;
            this.touchIot = touchIot;
        }

        @Override
        protected List<Consumer<IotClient>> iotRequests() {
            return requests;
        }

        @Override
        protected Ping handle(Ping event, Context context) {
            if (touchIot) {
                iot();
            }
            return new Ping("echo " + event.name());
        }

        @Override
        protected Ping rejected(String detail) {
            return new Ping("rejected");
        }

        @Override
        protected String primingEvent() {
            return "{\"name\":\"priming\"}";
        }

        @Override
        protected Ping primingAnswer() {
            return new Ping("priming");
        }
    }

    private static String invoke(IotHandler<Ping, Ping> handler, String event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void handlesEvents_andPrimesJacksonOnly() {
        Echo echo = new Echo(List.of(), false);

        assertEquals(0, echo.prime());
        assertEquals(Set.of(), echo.iotOperations());
        assertEquals("{\"name\":\"echo a\"}", invoke(echo, "{\"name\":\"a\"}"));
        assertEquals("{\"name\":\"rejected\"}", invoke(echo, "not json"));
    }

    @Test
    void iot_isRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> invoke(new Echo(List.of(), true), "{\"name\":\"a\"}"));
        assertTrue(e.getMessage().contains("without an IoT client"), e.getMessage());
    }

    @Test
    void prime_isRefused_whenTheHandlerDeclaresIotRequests() {
        Echo wrong = new Echo(List.of(c -> c.describeCertificate(r -> r.certificateId(IotPrimer.CERTIFICATE_ID))),
                false);

        IllegalStateException e = assertThrows(IllegalStateException.class, wrong::prime);
        assertTrue(e.getMessage().contains("no IoT client"), e.getMessage());
        assertEquals(Set.of("DescribeCertificate"), wrong.iotOperations());
    }
}
