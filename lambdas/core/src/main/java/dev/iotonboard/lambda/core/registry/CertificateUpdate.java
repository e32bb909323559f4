package dev.iotonboard.lambda.core.registry;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What one writer observed about a certificate: the attributes it sets, and only those
 * ({@link DeviceRegistry#write(CertificateUpdate)}). {@code step} and {@code reason} always describe the write
 * itself, so a write without a reason removes the previous step's reason.
 *
 * <pre>{@code
 * CertificateUpdate.of(certificateId, Step.PROVISIONED, observedAt).status("ACTIVE").boundThing(thing).build()
 * }</pre>
 */
public final class CertificateUpdate {
    private final String certificateId;
    private final Step step;
    private final Instant updatedAt;
    private final String caCertificateId;
    private final String thingName;
    private final String status;
    private final String boundThing;
    private final boolean unbound;
    private final String certificatePem;
    private final String certificateArn;
    private final Instant notBefore;
    private final Instant notAfter;
    private final String reason;

    private CertificateUpdate(Builder b) {
        certificateId = b.certificateId;
        step = b.step;
        updatedAt = b.updatedAt;
        caCertificateId = b.caCertificateId;
        thingName = b.thingName;
        status = b.status;
        boundThing = b.boundThing;
        unbound = b.unbound;
        certificatePem = b.certificatePem;
        certificateArn = b.certificateArn;
        notBefore = b.notBefore;
        notAfter = b.notAfter;
        reason = b.reason;
    }

    /** A write by {@code step} of what it observed at {@code updatedAt} about {@code certificateId}. */
    public static Builder of(String certificateId, Step step, Instant updatedAt) {
        return new Builder(certificateId, step, updatedAt);
    }

    public String certificateId() {
        return certificateId;
    }

    public Step step() {
        return step;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    public Optional<String> caCertificateId() {
        return Optional.ofNullable(caCertificateId);
    }

    public Optional<String> thingName() {
        return Optional.ofNullable(thingName);
    }

    public Optional<String> status() {
        return Optional.ofNullable(status);
    }

    /** The thing the writer saw the certificate attached to; empty when it did not look or saw none. */
    public Optional<String> boundThing() {
        return Optional.ofNullable(boundThing);
    }

    /** True when the writer saw the certificate attached to no thing: the write removes {@code boundThing}. */
    public boolean unbound() {
        return unbound;
    }

    public Optional<String> certificatePem() {
        return Optional.ofNullable(certificatePem);
    }

    public Optional<String> certificateArn() {
        return Optional.ofNullable(certificateArn);
    }

    public Optional<Instant> notBefore() {
        return Optional.ofNullable(notBefore);
    }

    public Optional<Instant> notAfter() {
        return Optional.ofNullable(notAfter);
    }

    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** Sets only what is given; see {@link CertificateUpdate}. */
    public static final class Builder {
        private final String certificateId;
        private final Step step;
        private final Instant updatedAt;
        private String caCertificateId;
        private String thingName;
        private String status;
        private String boundThing;
        private boolean unbound;
        private String certificatePem;
        private String certificateArn;
        private Instant notBefore;
        private Instant notAfter;
        private String reason;

        private Builder(String certificateId, Step step, Instant updatedAt) {
            this.certificateId = DeviceRegistry.requireCertificateId(certificateId, "certificateId");
            this.step = Objects.requireNonNull(step, "step");
            this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        }

        public Builder caCertificateId(String id) {
            this.caCertificateId = DeviceRegistry.requireCertificateId(id, "caCertificateId");
            return this;
        }

        public Builder thingName(String name) {
            this.thingName = requireText(name, "thingName");
            return this;
        }

        /** The IoT status observed (or {@link DeviceRegistry#DELETED}). */
        public Builder status(String value) {
            this.status = requireText(value, "status");
            return this;
        }

        /** The certificate is attached to {@code thing}. */
        public Builder boundThing(String thing) {
            this.boundThing = requireText(thing, "boundThing");
            this.unbound = false;
            return this;
        }

        /** The certificate is attached to no thing. */
        public Builder unbound() {
            this.boundThing = null;
            this.unbound = true;
            return this;
        }

        public Builder certificatePem(String pem) {
            this.certificatePem = requireText(pem, "certificatePem");
            return this;
        }

        /** The certificate's ARN as IoT reported it (what IoT's calls about the certificate name it by). */
        public Builder certificateArn(String arn) {
            this.certificateArn = requireText(arn, "certificateArn");
            return this;
        }

        public Builder validity(Instant from, Instant to) {
            this.notBefore = Objects.requireNonNull(from, "notBefore");
            this.notAfter = Objects.requireNonNull(to, "notAfter");
            return this;
        }

        /** The refusal or rejection reason (an enum name). */
        public Builder reason(String value) {
            this.reason = requireText(value, "reason");
            return this;
        }

        public CertificateUpdate build() {
            return new CertificateUpdate(this);
        }

        private static String requireText(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return value;
        }
    }
}
