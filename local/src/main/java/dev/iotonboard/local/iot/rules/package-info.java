/**
 * The message routing of IoT Core: the rule SQL ({@code RuleSql}: SELECT, FROM topic filter, WHERE, the functions
 * the stack uses) and the rule engine ({@code RuleEngine}), which gives every published message to the listeners (the
 * MQTT subscribers) and runs the Lambda actions of the matching topic rules through a small port.
 */
package dev.iotonboard.local.iot.rules;
