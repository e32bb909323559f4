package dev.iotonboard.infra.constructs;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import java.util.List;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.Token;
import software.constructs.IConstruct;

/** cdk-nag suppressions, one rule at a time, on one construct, with a reason. */
public final class Nag {
    private Nag() {
    }

    /**
     * How cdk-nag names a finding on an IAM resource made by {@code stack.formatArn} for an IoT resource: tokens render
     * as {@code <AWS::Region>}, values the stack knows (region and account from the CLI) as themselves.
     */
    public static String iotResourceFinding(Stack stack, String resource) {
        return "Resource::arn:" + rendered(stack.getPartition(), "AWS::Partition") + ":iot:"
                + rendered(stack.getRegion(), "AWS::Region") + ":" + rendered(stack.getAccount(), "AWS::AccountId")
                + ":" + resource;
    }

    private static String rendered(String value, String pseudoParameter) {
        return Token.isUnresolved(value) ? "<" + pseudoParameter + ">" : value;
    }

    /** Suppresses {@code ruleId} on {@code construct} and its children, only for {@code appliesTo} findings when given. */
    public static void suppress(IConstruct construct, String ruleId, String reason, String... appliesTo) {
        NagPackSuppression.Builder suppression = NagPackSuppression.builder().id(ruleId).reason(reason);
        if (appliesTo.length > 0) {
            suppression.appliesTo(List.of(appliesTo));
        }
        NagSuppressions.addResourceSuppressions(construct, List.of(suppression.build()), true);
    }
}
