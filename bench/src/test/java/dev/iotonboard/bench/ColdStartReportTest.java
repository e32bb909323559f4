package dev.iotonboard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
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
}
