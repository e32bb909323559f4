package dev.iotonboard.lambda.provisioning.model;

/**
 * The output of the rule {@code SELECT thingName, principal() AS certificateId FROM 'jitr/request'}: the thing name
 * the device asked for and the id of the certificate it connected with. The rule selects exactly these two fields,
 * so a {@code certificateId} inside the device's payload never reaches the function: {@code principal()} wins.
 * Any other field is ignored.
 */
public record ProvisioningRequest(String thingName, String certificateId) {
}
