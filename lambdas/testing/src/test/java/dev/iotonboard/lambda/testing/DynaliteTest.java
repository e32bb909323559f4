package dev.iotonboard.lambda.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DynaliteTest {

    @Test
    void servesDynamoDbsApiToTheAwsCliWithItsConditionalWrites() throws Exception {
        try (Dynalite dynamo = Dynalite.start()) {
            AwsCli.Result created = dynamo(dynamo, "create-table", "--table-name", "registry",
                    "--attribute-definitions", "AttributeName=id,AttributeType=S",
                    "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST");
            assertEquals(0, created.exit(), created.err());
            String item = "{\"id\":{\"S\":\"a\"}}";
            assertEquals(0, dynamo(dynamo, "put-item", "--table-name", "registry", "--item", item,
                    "--condition-expression", "attribute_not_exists(id)").exit());
            AwsCli.Result again = dynamo(dynamo, "put-item", "--table-name", "registry", "--item", item,
                    "--condition-expression", "attribute_not_exists(id)");
            assertTrue(again.exit() != 0);
            assertTrue(again.err().contains("ConditionalCheckFailedException"), again.err());
        }
    }

    @Test
    void eachInstanceStartsEmpty() throws Exception {
        try (Dynalite first = Dynalite.start(); Dynalite second = Dynalite.start()) {
            dynamo(first, "create-table", "--table-name", "only-in-first",
                    "--attribute-definitions", "AttributeName=id,AttributeType=S",
                    "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST");
            assertTrue(dynamo(first, "list-tables").out().contains("only-in-first"));
            assertTrue(!dynamo(second, "list-tables").out().contains("only-in-first"));
        }
    }

    @Test
    void saysHowToInstallItWhenItIsMissing(@TempDir Path empty) {
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> Dynalite.cli(empty));
        assertTrue(missing.getMessage().contains("npm ci"), missing.getMessage());
    }

    private static AwsCli.Result dynamo(Dynalite dynamo, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", dynamo.endpoint().toString(),
                "dynamodb"));
        command.addAll(List.of(args));
        return AwsCli.run(command);
    }
}
