package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ColdStartReportTest {

    @Test
    void putStats_medianAveragesTheMiddlePairAndP90IsNearestRank() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        ColdStartBenchmark.putStats(node, new double[] {400, 100, 300, 200});

        assertEquals(250.0, node.path("median").asDouble());
        assertEquals(400.0, node.path("p90").asDouble());
        assertEquals(100.0, node.path("min").asDouble());
        assertEquals(400.0, node.path("max").asDouble());
        assertEquals("[400.0,100.0,300.0,200.0]", node.path("runs").toString(), "the runs in their order");
    }

    @Test
    void minus_isTheRunByRunDifference() {
        assertEquals(List.of(10.0, -5.0, 0.0), java.util.Arrays.stream(ColdStartBenchmark.minus(
                new double[] {110, 95, 300}, new double[] {100, 100, 300})).boxed().toList());
    }

    @Test
    void text_showsOneLinePerHandlerAndSetting() throws Exception {
        ObjectNode report = (ObjectNode) new ObjectMapper().readTree("""
                {"functions":[{"handler":"a.b.ActivationHandler::handleRequest","jarBytes":14000000,"settings":[
                  {"setting":"JAVA_TOOL_OPTIONS unset","errors":0,"initMs":{"median":800,"p90":900},
                   "firstInvocationMs":{"median":500,"p90":600},"startToAnswerMs":{"median":1300,"p90":1500}},
                  {"setting":"stack's options + prime()","errors":1,"initMs":{"median":1100,"p90":1200},
                   "firstInvocationMs":{"median":110,"p90":130},"startToAnswerMs":{"median":1210,"p90":1330}}]}]}""");

        String text = ColdStartBenchmark.text(report);

        String[] lines = text.split("\\n");
        assertEquals(3, lines.length, text);
        assertTrue(lines[1].startsWith("ActivationHandler "), lines[1]);
        assertTrue(lines[1].contains("800/900") && lines[1].contains("500/600") && lines[1].contains("1300/1500"),
                lines[1]);
        assertTrue(lines[2].contains("110/130") && lines[2].trim().endsWith("1"), lines[2]);
    }

    @Test
    void jarOf_isTheJarOfTheModuleThatCompilesTheHandler_notAnotherThatBundlesIt(@TempDir Path root)
            throws Exception {
        String entry = "dev/example/Handler.class";
        for (String module : new String[] {"a-bundler", "b-owner"}) {
            Files.createDirectories(root.resolve("lambdas/" + module + "/target"));
            Files.write(root.resolve("lambdas/" + module + "/target/" + module + ".jar"), new byte[] {1});
        }
        Files.createDirectories(root.resolve("lambdas/b-owner/target/classes/dev/example"));
        Files.write(root.resolve("lambdas/b-owner/target/classes/" + entry), new byte[] {1});

        assertEquals(Optional.of(root.resolve("lambdas/b-owner/target/b-owner.jar")),
                ColdStartBenchmark.jarOf(root, "dev.example.Handler"));
        assertEquals(Optional.empty(), ColdStartBenchmark.jarOf(root, "dev.example.Other"));
    }

    @Test
    void text_namesTheVariantAfterTheHandler() throws Exception {
        ObjectNode report = (ObjectNode) new ObjectMapper().readTree("""
                {"functions":[{"handler":"a.b.ActivationHandler::handleRequest","variant":"powertools-metrics",
                  "jarBytes":1,"settings":[{"setting":"s","errors":0,"initMs":{},"firstInvocationMs":{},
                  "startToAnswerMs":{},"minusOwnJarMs":{"startToAnswer":{"median":42,"p90":90},
                  "firstInvocation":{"median":7,"p90":9}}}]},
                 {"handler":"a.b.ActivationHandler::handleRequest","variant":null,"jarBytes":1,"settings":[
                  {"setting":"s","errors":0,"initMs":{},"firstInvocationMs":{},"startToAnswerMs":{}}]}]}""");

        String[] lines = ColdStartBenchmark.text(report).split("\\n");

        assertTrue(lines[1].startsWith("ActivationHandler [powertools-metrics] "), lines[1]);
        assertTrue(lines[1].endsWith(" 42/90, 7/9"), lines[1]);
        assertTrue(lines[2].startsWith("ActivationHandler "), lines[2]);
        assertFalse(lines[2].contains("["), lines[2]);
    }

    @Test
    void selected_matchesFullOrSimpleNames_andAnEmptyListSelectsAll() {
        assertTrue(ColdStartBenchmark.selected("dev.example.Handler", List.of()));
        assertTrue(ColdStartBenchmark.selected("dev.example.Handler", List.of("Other", "Handler")));
        assertTrue(ColdStartBenchmark.selected("dev.example.Handler", List.of("dev.example.Handler")));
        assertFalse(ColdStartBenchmark.selected("dev.example.Handler", List.of("example.Handler", "Handle")));
    }

    @Test
    void holds_isTrueOnlyForAJarWithTheHandlersClassFile(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("variant.jar");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(jar))) {
            zip.putNextEntry(new ZipEntry("dev/example/Handler.class"));
            zip.write(new byte[] {1});
            zip.closeEntry();
        }

        assertTrue(ColdStartBenchmark.holds(jar, "dev.example.Handler"));
        assertFalse(ColdStartBenchmark.holds(jar, "dev.example.Other"));
        assertFalse(ColdStartBenchmark.holds(dir.resolve("missing.jar"), "dev.example.Handler"));
    }
}
