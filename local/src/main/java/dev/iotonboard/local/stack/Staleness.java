package dev.iotonboard.local.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Detects a stale cloud assembly: when {@code cdk.out} sits in the repository (a parent folder holds cdk.json), each
 * Java function's asset must be byte-identical to one of the jars under {@code lambdas/<module>/target/} that hold its
 * handler class (several can: the reconciler's jar bundles the activation handler). A function rebuilt after the
 * synthesis would otherwise run its old code.
 */
public final class Staleness {

    private Staleness() {
    }

    /** The problems found (empty: fresh, or not in a repository, or the jars are not built). */
    public static List<String> check(Path cdkOut, StackTemplate stack) {
        Optional<Path> root = repositoryRoot(cdkOut);
        List<String> problems = new ArrayList<>();
        if (root.isEmpty() || !Files.isDirectory(root.get().resolve("lambdas"))) {
            return problems;
        }
        List<Path> jars;
        try (Stream<Path> modules = Files.list(root.get().resolve("lambdas"))) {
            jars = modules.sorted().map(m -> m.resolve("target").resolve(m.getFileName() + ".jar"))
                    .filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // a jar holds several handlers (device-api) and bundles others (reconciler): hash each file once
        Map<Path, String> hashes = new HashMap<>();
        Function<Path, String> sha256 = file -> hashes.computeIfAbsent(file, Staleness::sha256);
        for (StackTemplate.Function function : stack.functions().values()) {
            if (!function.runnable()) {
                continue;
            }
            String entry = function.handler().split("::")[0].replace('.', '/') + ".class";
            List<Path> holders = jars.stream().filter(jar -> contains(jar, entry)).toList();
            if (holders.isEmpty()) {
                continue;
            }
            String asset = sha256.apply(function.jar());
            if (holders.stream().noneMatch(jar -> sha256.apply(jar).equals(asset))) {
                problems.add(function.logicalId() + ": its asset " + function.jar().getFileName() + " differs from "
                        + String.join(" and ", holders.stream().map(jar -> root.get().relativize(jar).toString())
                                .toList()) + " (rebuilt after the synthesis)");
            }
        }
        return problems;
    }

    private static Optional<Path> repositoryRoot(Path cdkOut) {
        for (Path dir = cdkOut.toAbsolutePath().normalize().getParent(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("cdk.json"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    private static boolean contains(Path jar, String entry) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry(entry) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            MessageDigest digest = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
