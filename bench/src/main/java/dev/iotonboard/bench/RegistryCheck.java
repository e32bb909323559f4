package dev.iotonboard.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;
import software.amazon.awssdk.services.iot.model.IotException;
import software.amazon.awssdk.services.iot.model.Policy;

/**
 * Checks the registry after the run through the control plane: each device's thing has exactly its certificate, and
 * the certificate is ACTIVE with the app policy only (the JITR policy detached).
 */
public final class RegistryCheck {
    private final IotClient iot;
    private final String appPolicy;

    public RegistryCheck(IotClient iot, String appPolicy) {
        this.iot = iot;
        this.appPolicy = appPolicy;
    }

    /** The problems found, one line each (empty when every device is in order). */
    public List<String> check(List<DeviceResult> devices, int threads) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<String>> checks = new ArrayList<>();
            for (DeviceResult device : devices) {
                checks.add(pool.submit(() -> problem(device)));
            }
            List<String> problems = new ArrayList<>();
            for (Future<String> check : checks) {
                try {
                    String problem = check.get();
                    if (problem != null) {
                        problems.add(problem);
                    }
                } catch (ExecutionException e) {
                    problems.add("check failed: " + e.getCause());
                }
            }
            return Collections.unmodifiableList(problems);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The device's problem, or null. */
    String problem(DeviceResult device) {
        String thing = device.thingName();
        try {
            List<String> principals = iot.listThingPrincipals(r -> r.thingName(thing)).principals();
            if (principals.size() != 1 || !principals.get(0).endsWith(":cert/" + device.certificateId())) {
                return thing + ": principals " + principals + ", expected only cert/" + device.certificateId();
            }
            CertificateStatus status = iot.describeCertificate(r -> r.certificateId(device.certificateId()))
                    .certificateDescription().status();
            if (status != CertificateStatus.ACTIVE) {
                return thing + ": certificate " + status;
            }
            List<String> policies = iot.listAttachedPolicies(r -> r.target(principals.get(0))).policies().stream()
                    .map(Policy::policyName).toList();
            if (!policies.equals(List.of(appPolicy))) {
                return thing + ": policies " + policies + ", expected only " + appPolicy;
            }
            return null;
        } catch (IotException e) {
            return thing + ": " + e.awsErrorDetails().errorCode() + " " + e.getMessage();
        }
    }
}
