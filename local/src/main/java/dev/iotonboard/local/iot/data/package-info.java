/**
 * The device side of IoT Core: who may connect ({@code DeviceAdmission}: the TLS handshake's check and JITR, decided
 * once per connection for HTTPS and MQTT alike, with the connect quota), what a device may do
 * ({@code DevicePolicies}: its certificate's policies and the connection's policy variables), the HTTPS data plane
 * ({@code HttpsDataPlane}) and the MQTT broker ({@code MqttBroker}, one {@code MqttSession} per connection; its
 * CONNECT in {@code MqttConnect}, its publishes and will in {@code MqttPublishes}, its subscriptions and deliveries in
 * {@code MqttSubscriptions}, its answers for MQTT 3.1.1 or 5 in {@code MqttAnswers}).
 */
package dev.iotonboard.local.iot.data;
