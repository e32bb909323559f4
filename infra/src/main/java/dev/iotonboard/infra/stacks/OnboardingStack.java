package dev.iotonboard.infra.stacks;

import dev.iotonboard.infra.ConcurrencySizing;
import dev.iotonboard.infra.LambdaJars;
import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.DeviceRegistry;
import dev.iotonboard.infra.constructs.DevicePolicies;
import dev.iotonboard.infra.constructs.ExpiryWatch;
import dev.iotonboard.infra.constructs.Monitoring;
import dev.iotonboard.infra.constructs.Reconciler;
import dev.iotonboard.infra.constructs.RegistrySync;
import dev.iotonboard.infra.constructs.RegistrationPipeline;
import dev.iotonboard.infra.constructs.ThingPlacementResources;
import dev.iotonboard.infra.constructs.ReservedConcurrency;
import dev.iotonboard.infra.constructs.Truststore;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;

/** Composes the onboarding constructs and publishes what a user needs to connect devices. */
public final class OnboardingStack extends Stack {
    public static final String IOT_ENDPOINT_HINT = "aws iot describe-endpoint --endpoint-type iot:Data-ATS";

    private final DevicePolicies devicePolicies;
    /** The activation handler's switch for the allow-list (lambda-core cannot be a dependency of the CDK app). */
    public static final String ALLOW_LIST_VARIABLE = "ALLOW_LIST";

    private final DeviceRegistry deviceRegistry;
    private final Optional<RegistrySync> registrySync;
    private final RegistrationPipeline registration;
    private final Truststore truststore;
    private final DeviceApi deviceApi;
    private final Optional<Reconciler> reconciler;
    private final Optional<ExpiryWatch> expiryWatch;
    private final ThingPlacementResources placement;
    private final Monitoring monitoring;

    public OnboardingStack(Construct scope, String id, StackProps props, OnboardingConfig config, LambdaJars jars) {
        super(scope, id, props);
        if (config.usesExampleValues()) {
            Annotations.of(this).addWarningV2("iotonboard:example-context", "cdk.json holds example values (domainName "
                    + config.domainName() + ", " + config.certificateArn().orElse("hosted zone") + "): set your own "
                    + "domainName and certificateArn (or hostedZoneId/hostedZoneName) before deploying.");
        }

        if (config.allowAnyCa()) {
            Annotations.of(this).addWarningV2("iotonboard:any-ca", "allowAnyCa=true: EVERY CA registered for "
                    + "auto-registration in this account and region is a trust root. Any certificate such a CA signs "
                    + "is activated, provisioned and allowed on the API, and no reconciler or expiry watch is deployed. "
                    + "Give caCertificateIds instead unless you want every CA of the account on purpose.");
        }
        deviceRegistry = new DeviceRegistry(this, "DeviceRegistry");
        devicePolicies = new DevicePolicies(this, "DevicePolicies", DevicePolicies.Props.builder()
                .jitrStartTopic(config.jitrStartTopic())
                .jitrRequestTopic(config.jitrRequestTopic())
                .build());
        ConcurrencySizing sizing = config.concurrencySizing();
        registration = new RegistrationPipeline(this, "Registration", RegistrationPipeline.Props.builder()
                .activationJar(jars.certificateActivation())
                .provisioningJar(jars.thingProvisioning())
                .jitrPolicyName(devicePolicies.getJitrPolicyName())
                .appPolicyName(devicePolicies.getAppPolicyName())
                .caCertificateIds(config.caCertificateIds())
                .thingNamePattern(config.thingNamePattern())
                .caStatusCacheSeconds(config.caStatusCacheSeconds())
                .jitrRequestTopic(config.jitrRequestTopic())
                .reservedConcurrency(sizing.activationConcurrency(),
                        sizing.provisioningConcurrency(config.placement().thingGroupNames().size()))
                .renewalWindowHours(config.renewalWindowHours())
                .placement(config.placement())
                .build());
        deviceRegistry.use(registration.getActivation(), DeviceRegistry.ACTIVATION_ACTIONS);
        deviceRegistry.use(registration.getProvisioning(), DeviceRegistry.PROVISIONING_ACTIONS);
        placement = new ThingPlacementResources(this, "Placement", config.placement());
        reconciler = Optional.of(config.caCertificateIds()).filter(ids -> !ids.isEmpty()).map(ids -> new Reconciler(
                this, "Reconciler", Reconciler.Props.builder()
                        .jar(jars.reconciler())
                        .caCertificateIds(ids)
                        .jitrPolicyName(devicePolicies.getJitrPolicyName())
                        .intervalMinutes(config.reconciler().intervalMinutes())
                        .graceSeconds(config.reconciler().graceSeconds())
                        .lookbackHours(config.reconciler().lookbackHours())
                        .maxRequestsPerSecond(config.reconciler().maxRequestsPerSecond())
                        .thingNamePattern(config.thingNamePattern())
                        .caStatusCacheSeconds(config.caStatusCacheSeconds())
                        .build()));
        reconciler.ifPresent(r -> r.compareWith(deviceRegistry));
        if (config.allowList()) {
            // Activation, and the reconciler's completion of it, read and use the allow-list entry of the CN: the
            // GetItem and UpdateItem activation holds anyway (it reads duplicates' items and writes certificates').
            registration.getActivation().getFunction().addEnvironment(ALLOW_LIST_VARIABLE, "true");
            reconciler.ifPresent(r -> r.getFunction().getFunction().addEnvironment(ALLOW_LIST_VARIABLE, "true"));
        }
        if (reconciler.isEmpty()) {
            Annotations.of(this).addWarningV2("iotonboard:no-reconciler", "No reconciler is deployed: it scans the "
                    + "certificates of the listed CAs, and allowAnyCa lists none. Certificates whose registered "
                    + "event was lost stay PENDING_ACTIVATION (failed ones wait in the activation failure queue for a redrive); "
                    + "set caCertificateIds to deploy it.");
        }
        List<String> watchedCas = config.caCertificateIds();
        expiryWatch = watchedCas.isEmpty() ? Optional.empty() : Optional.of(new ExpiryWatch(this, "ExpiryWatch",
                ExpiryWatch.Props.builder()
                        .jar(jars.reconciler())
                        .caCertificateIds(watchedCas)
                        .intervalHours(config.expiryWatch().intervalHours())
                        .warningDays(config.expiryWatch().warningDays())
                        .maxRequestsPerSecond(config.expiryWatch().maxRequestsPerSecond())
                        .thingNamePattern(config.thingNamePattern())
                        .build()));
        expiryWatch.ifPresent(watch -> watch.readValidityFrom(deviceRegistry));
        registrySync = config.registrySync() == OnboardingConfig.RegistrySync.OFF ? Optional.empty()
                : Optional.of(new RegistrySync(this, "RegistrySync", new RegistrySync.Props(jars.reconciler(),
                        deviceRegistry, config.caCertificateIds(),
                        config.registrySync() == OnboardingConfig.RegistrySync.CREATE_TRAIL,
                        List.of(registration.getActivation().getRole(), registration.getProvisioning().getRole()))));
        if (registrySync.isEmpty()) {
            Annotations.of(this).addWarningV2("iotonboard:no-registry-sync", OnboardingConfig.REGISTRY_SYNC + "=off: "
                    + "certificates revoked, deactivated, deleted or detached outside the project's functions and "
                    + "scripts (console, CLI, another tool) reach the device registry table, which the API authorizer "
                    + "reads, only at the reconciler's next run (if it examines them: certificates registered within its lookback; "
                    + "no reconciler with allowAnyCa); until then the API may still allow them. Set "
                    + OnboardingConfig.REGISTRY_SYNC + "=createTrail, or existingTrail when the account has a trail of "
                    + "management write events.");
        }
        truststore = new Truststore(this, "Truststore", Truststore.Props.builder().pem(config.truststorePem()).build());
        DeviceApi.Props.Builder api = DeviceApi.Props.builder()
                .domainName(config.domainName())
                .certificateArn(config.certificateArn())
                .truststore(truststore)
                .deviceApiJar(jars.deviceApi())
                .caCertificateIds(config.caCertificateIds())
                .thingNamePattern(config.thingNamePattern())
                .ownershipVerificationCertificateArn(config.deployment().ownershipVerificationCertificateArn());
        config.hostedZone().ifPresent(zone -> api.hostedZone(zone.id(), zone.name()));
        deviceApi = new DeviceApi(this, "DeviceApi", api.build());
        deviceRegistry.use(deviceApi.getAuthorizerFunction(), DeviceRegistry.AUTHORIZER_ACTIONS);
        ReservedConcurrency.apply(this, config.deployment().reservedConcurrency());
        // Last: it alarms on every queue, function and topic rule built above.
        monitoring = new Monitoring(this, "Monitoring", new Monitoring.Props(config.alarms(),
                config.deployment().reservedConcurrency(), deviceApi.getApi(),
                reconciler.isPresent() ? OptionalInt.of(config.reconciler().intervalMinutes()) : OptionalInt.empty(),
                expiryWatch.map(watch -> config.expiryWatch())));

        output("ApiDomainName", config.domainName(), "The device API's custom domain (mutual TLS): https://<it>/sample");
        output("ApiDomainAliasTarget", deviceApi.getDomain().getDomainNameAliasDomainName(),
                "Point the API domain's DNS (CNAME or alias) here when no hosted zone was given");
        output("JitrPolicyName", devicePolicies.getJitrPolicyName(), "IoT policy of a freshly activated device certificate");
        output("AppPolicyName", devicePolicies.getAppPolicyName(), "IoT policy of a provisioned device");
        output("CertificateRegisteredRuleName", registration.getCertificateRegisteredRule().getRef(),
                "Topic rule: certificate registered -> certificate activation");
        output("ProvisioningRequestRuleName", registration.getProvisioningRequestRule().getRef(),
                "Topic rule: " + config.jitrRequestTopic() + " -> thing provisioning");
        output("ActivationFailuresQueueUrl", registration.getActivationFailures().getQueueUrl(),
                "Registered events the activation function failed on");
        output("ProvisioningFailuresQueueUrl", registration.getProvisioningFailures().getQueueUrl(),
                "Provisioning requests the provisioning function failed on");
        output("ActivationFunctionName", registration.getActivation().getFunction().getFunctionName(),
                "The activation function; redrive its failures with scripts/ops/redrive.sh --function <it>");
        output("ProvisioningFunctionName", registration.getProvisioning().getFunction().getFunctionName(),
                "The provisioning function; redrive its failures with scripts/ops/redrive.sh --function <it>");
        expiryWatch.ifPresent(watch -> output("ExpiryWatchFunctionName",
                watch.getFunction().getFunction().getFunctionName(),
                "The expiry watch; its metrics are in the CloudWatch namespace " + ExpiryWatch.METRICS_NAMESPACE));
        output("RenewalAnnouncementRuleName", registration.getRenewalAnnouncementRule().getRef(),
                "Topic rule: " + RegistrationPipeline.RENEWAL_TOPIC_FILTER + " -> renewal announcement");
        output("RenewalFailuresQueueUrl", registration.getRenewalFailures().getQueueUrl(),
                "Renewal announcements the renewal announcement function failed on");
        output("RenewalFunctionName", registration.getRenewal().getFunction().getFunctionName(),
                "The renewal announcement function; redrive its failures with scripts/ops/redrive.sh --function <it>");
        output("DeviceRegistryTableName", deviceRegistry.getTable().getTableName(),
                "The device registry table (DynamoDB): IoT's registry as the functions last observed it");
        output("TruststoreUri", truststore.getUri(), "The mutual TLS truststore (CA bundle)");
        output("TruststoreVersion", truststore.getVersionId(), "The truststore object version the domain uses");
        output("AlarmTopicArn", monitoring.getTopic().getTopicArn(), "Every alarm notifies this SNS topic "
                + "(subscribe with -c alarmEmail=<address>); runbook: " + Monitoring.RUNBOOK);
        output("DashboardName", monitoring.getDashboard().getDashboardName(), "The operations dashboard (CloudWatch)");
        reconciler.ifPresent(r -> output("ReconcilerFunctionName", r.getFunction().getFunction().getFunctionName(),
                "The reconciler; run it now with aws lambda invoke --function-name <it> --qualifier live out.json"));
        output("RuleErrorsLogGroupName", registration.getRuleErrors().getLogGroupName(),
                "Where the topic rules' error action logs each failed action, with the message it failed on");
        output("ApiAccessLogGroupName", deviceApi.getAccessLogs().getLogGroupName(),
                "The device API's access log (status, authorizer error, client certificate serial, thing name)");
        output("IotDataEndpointHint", IOT_ENDPOINT_HINT, "Run this for the MQTT/HTTPS endpoint devices connect to");
    }

    private void output(String id, String value, String description) {
        CfnOutput.Builder.create(this, id).value(value).description(description).build();
    }

    public DevicePolicies getDevicePolicies() {
        return devicePolicies;
    }

    public DeviceRegistry getDeviceRegistry() {
        return deviceRegistry;
    }

    /** The registry sync; empty with registrySync=off. */
    public Optional<RegistrySync> getRegistrySync() {
        return registrySync;
    }

    public RegistrationPipeline getRegistration() {
        return registration;
    }

    public Truststore getTruststore() {
        return truststore;
    }

    public Monitoring getMonitoring() {
        return monitoring;
    }

    public DeviceApi getDeviceApi() {
        return deviceApi;
    }

    /** Present when the stack was given caCertificateIds. */
    public Optional<Reconciler> getReconciler() {
        return reconciler;
    }

    /** Present when the stack was given a caCertificateId. */
    public Optional<ExpiryWatch> getExpiryWatch() {
        return expiryWatch;
    }
}
