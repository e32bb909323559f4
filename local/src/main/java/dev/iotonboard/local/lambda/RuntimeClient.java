package dev.iotonboard.local.lambda;

import dev.iotonboard.local.EventLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Lambda runtime interface client every container runs ({@code aws-lambda-java-runtime-interface-client}): where
 * its jars are, and its JNI library, extracted once for all containers.
 */
final class RuntimeClient {

    private RuntimeClient() {
    }

    /**
     * The runtime interface client's jars: those in {@code dir} when it exists, else the ones on this JVM's class
     * path (tests).
     */
    static List<Path> classpath(Path dir) {
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> jars = Files.list(dir)) {
                List<Path> list = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
                if (!list.isEmpty()) {
                    return list;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<Path> found = new ArrayList<>();
        for (String name : List.of("com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                "com.amazonaws.services.lambda.runtime.serialization.PojoSerializer",
                "com.amazonaws.services.lambda.runtime.Context")) {
            try {
                Path location = Path.of(Class.forName(name).getProtectionDomain().getCodeSource().getLocation().toURI());
                if (!found.contains(location)) {
                    found.add(location);
                }
            } catch (ClassNotFoundException | URISyntaxException | NullPointerException e) {
                throw new IllegalStateException("the Lambda runtime interface client is missing: no jars in " + dir
                        + " and " + name + " is not on the class path (build local/ with mvn package)", e);
            }
        }
        return found;
    }

    /**
     * Copies the runtime interface client's JNI library out of its jar once. Left to itself, every container copies
     * it to the same {@code /tmp/.libaws-lambda-jni.so} at start, and a JVM loading that file while another one
     * rewrites it dies of SIGBUS: containers starting together crashed. Each container gets this copy through the
     * client's {@code NativeClient.JNI} system property instead. Null when the platform's library is not found (the
     * client then does its own copy).
     */
    static Path extractNativeLibrary(List<Path> classpath, EventLog log) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64" -> "aarch_64";
            default -> null;
        };
        if (arch == null || !System.getProperty("os.name").equals("Linux")) {
            return null;
        }
        String resource = "jni/libaws-lambda-jni.linux-" + arch + ".so";
        java.net.URL[] urls = classpath.stream().map(p -> {
            try {
                return p.toUri().toURL();
            } catch (java.net.MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(java.net.URL[]::new);
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(urls, null);
                java.io.InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path dir = Files.createTempDirectory("local-iot-core-jni");
            Path library = dir.resolve("libaws-lambda-jni.so");
            Files.copy(in, library);
            library.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return library;
        } catch (IOException e) {
            log.event("lambda", "cannot extract " + resource + " (each container copies it itself): " + e);
            return null;
        }
    }
}
