package dev.iotonboard.local.iot.control;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One control-plane call as CloudTrail records it: the operation (CloudTrail's eventName), its input members by their
 * service-model names (requestParameters), who signed it ({@code accessKeyId}, null when unsigned), where it came
 * from, and, for a call that failed, AWS's error code and message (both null for a success).
 */
public record ApiCall(String operation, ObjectNode requestParameters, String accessKeyId, String sourceIp,
        String userAgent, String requestId, String errorCode, String errorMessage) {

    /**
     * Whether the call only reads (Describe*, List*, Get*): AWS IoT's read-only calls. EventBridge receives no
     * read-only management events unless a rule asks for all of them (EventBridge User Guide, "Receiving read-only
     * management events from AWS services").
     */
    public boolean readOnly() {
        return operation.startsWith("Describe") || operation.startsWith("List") || operation.startsWith("Get");
    }
}
