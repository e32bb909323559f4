package dev.iotonboard.infra.constructs;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import java.util.List;
import software.constructs.IConstruct;

/** cdk-nag suppressions, one rule at a time, on one construct, with a reason. */
public final class Nag {
    /** How cdk-nag renders an IAM resource built with Stack.formatArn for IoT certificates and things. */
    public static final String ANY_CERTIFICATE = "Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert/*";
    public static final String ANY_THING = "Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*";

    private Nag() {
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
