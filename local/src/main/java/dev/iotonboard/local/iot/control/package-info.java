/**
 * The IoT control plane edge ({@code ControlPlane}): iot-model's REST-JSON binding ({@code IotApi}) served on the
 * gateway, with the request-rate quotas and injected faults in front and crash faults after; per-operation counters.
 * The registry's state and rules live in iot-model, not here.
 */
package dev.iotonboard.local.iot.control;
