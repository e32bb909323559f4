/**
 * What the tool does to be as hard on the code as AWS is: per-operation request-rate quotas ({@code Quotas}, with the
 * data plane's {@code connect} rate and {@code ConnectThrottledException}), injected faults ({@code Faults}: fail,
 * crash, drop), and {@code CrashTarget}, the small interface through which a crash fault reaches what it kills.
 */
package dev.iotonboard.local.chaos;
