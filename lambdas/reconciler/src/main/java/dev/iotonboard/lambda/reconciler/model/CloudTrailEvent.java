package dev.iotonboard.lambda.reconciler.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

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
     */
    public record Detail(String eventSource, String eventName, String eventTime, String errorCode,
            Map<String, Object> requestParameters) {
    }
}
