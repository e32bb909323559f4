package dev.iotonboard.lambda.reconciler.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.Optional;

/**
 * What the registry sync reads of an EventBridge "AWS API Call via CloudTrail" event for AWS IoT (other fields are
 * ignored).
 *
 * @param id         the EventBridge event id
 * @param detailType {@code detail-type}: "AWS API Call via CloudTrail"
 * @param source     "aws.iot"
 * @param detail     the CloudTrail record
 */
public record CloudTrailEvent(String id, @JsonProperty("detail-type") String detailType, String source,
        Detail detail) {

    /**
     * @param eventSource       "iot.amazonaws.com"
     * @param eventName         the API action, e.g. UpdateCertificate
     * @param eventTime         when the call was made (ISO 8601)
     * @param errorCode         set when the call failed (then it changed nothing)
     * @param requestParameters the call's parameters, e.g. certificateId, newStatus, thingName, principal
     * @param userIdentity      who made the call
     */
    public record Detail(String eventSource, String eventName, String eventTime, String errorCode,
            Map<String, Object> requestParameters, UserIdentity userIdentity) {

        /** The ARN of the role whose session made the call; empty for IAM users, root, AWS services, or none. */
        public Optional<String> callerRoleArn() {
            return Optional.ofNullable(userIdentity).map(UserIdentity::sessionContext)
                    .map(SessionContext::sessionIssuer)
                    .filter(issuer -> "Role".equals(issuer.type()))
                    .map(SessionIssuer::arn);
        }
    }

    /**
     * CloudTrail's userIdentity element (CloudTrail User Guide, "CloudTrail userIdentity element").
     *
     * @param type           AssumedRole for a role session (a Lambda function's calls), IAMUser, Root, AWSService...
     * @param arn            the caller: for a role session {@code arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION}
     * @param sessionContext set for temporary credentials
     */
    public record UserIdentity(String type, String arn, SessionContext sessionContext) {
    }

    /** @param sessionIssuer what issued the session: for a role session, the role */
    public record SessionContext(SessionIssuer sessionIssuer) {
    }

    /**
     * @param type Role for a role session
     * @param arn  the role's ARN, {@code arn:aws:iam::ACCOUNT:role/PATH/NAME}
     */
    public record SessionIssuer(String type, String arn) {
    }
}
