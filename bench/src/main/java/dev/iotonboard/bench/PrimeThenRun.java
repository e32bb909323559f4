package dev.iotonboard.bench;

import java.lang.reflect.Method;

/**
 * Runs inside a function JVM (JDK classes only, so it can be put alone on the function's class path): builds one
 * handler with its no-arg constructor, calls its public {@code prime()} (the SnapStart priming helper B added to the
 * handlers), then hands over to the runtime interface client's main with the handler string. Class loading and JIT
 * are JVM-wide, so the runtime's own handler instance gets what priming warmed up, as after a SnapStart restore.
 */
public final class PrimeThenRun {
    static final String RIC_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

    private PrimeThenRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: PrimeThenRun <handler class>::<method>");
        }
        String handlerClass = args[0].contains("::") ? args[0].substring(0, args[0].indexOf("::")) : args[0];
        Object handler = Class.forName(handlerClass).getConstructor().newInstance();
        handler.getClass().getMethod("prime").invoke(handler);
        Method main = Class.forName(RIC_MAIN).getMethod("main", String[].class);
        main.invoke(null, (Object) args);
    }
}
