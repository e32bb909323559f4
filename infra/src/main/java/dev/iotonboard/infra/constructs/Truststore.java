package dev.iotonboard.infra.constructs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.constructs.Construct;

/**
 * The mutual-TLS truststore: a private, versioned bucket holding the CA bundle (certificates only) under a key derived
 * from its contents. The object is written by an S3 PutObject custom resource whose response gives the object version,
 * so the custom domain pins exactly that version and a changed bundle (new key, new version) makes it re-import.
 */
public final class Truststore extends Construct {
    /** The AwsCustomResource provider function CDK creates once per stack (its id is a fixed UUID in aws-cdk-lib). */
    static final String CUSTOM_RESOURCE_PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287";

    private final Bucket bucket;
    private final Bucket accessLogs;
    private final String key;
    private final String versionId;

    public Truststore(Construct scope, String id, Props props) {
        super(scope, id);
        // Log delivery through a bucket policy rather than a legacy ACL, whatever the app's feature flags say.
        getNode().setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
        accessLogs = Bucket.Builder.create(this, "AccessLogs")
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .build();
        Nag.suppress(accessLogs, "AwsSolutions-S1",
                "This bucket receives the truststore bucket's server access logs; logging it again would recurse.");
        bucket = Bucket.Builder.create(this, "Bucket")
                .versioned(true)
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .serverAccessLogsBucket(accessLogs)
                .serverAccessLogsPrefix("truststore-bucket/")
                .build();

        key = keyFor(props.pem());
        AwsSdkCall putObject = AwsSdkCall.builder()
                .service("S3")
                .action("PutObject")
                .parameters(Map.of(
                        "Bucket", bucket.getBucketName(),
                        "Key", key,
                        "Body", props.pem(),
                        "ContentType", "application/x-pem-file"))
                .physicalResourceId(PhysicalResourceId.of(key))
                .outputPaths(List.of("VersionId"))
                .build();
        AwsCustomResource upload = AwsCustomResource.Builder.create(this, "Upload")
                .onCreate(putObject)
                .onUpdate(putObject)
                .policy(AwsCustomResourcePolicy.fromStatements(List.of(PolicyStatement.Builder.create()
                        .actions(List.of("s3:PutObject"))
                        .resources(List.of(bucket.arnForObjects(key)))
                        .build())))
                .installLatestAwsSdk(false)
                .build();
        versionId = upload.getResponseField("VersionId");
        Nag.suppress(Stack.of(this).getNode().findChild(CUSTOM_RESOURCE_PROVIDER_ID), "AwsSolutions-IAM4",
                "CDK's AwsCustomResource provider function logs with the AWS managed basic execution policy; its only "
                        + "other permission is s3:PutObject on the one truststore key.",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    }

    /** truststore/&lt;first 16 hex of SHA-256&gt;.pem: a new bundle gets a new key, so CloudFormation re-uploads it. */
    public static String keyFor(String pem) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(pem.getBytes(StandardCharsets.US_ASCII));
            return "truststore/" + HexFormat.of().formatHex(digest).substring(0, 16) + ".pem";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Bucket getBucket() {
        return bucket;
    }

    public Bucket getAccessLogs() {
        return accessLogs;
    }

    public String getKey() {
        return key;
    }

    /** The S3 object version of the uploaded bundle (a deploy-time token). */
    public String getVersionId() {
        return versionId;
    }

    public String getUri() {
        return "s3://" + bucket.getBucketName() + "/" + key;
    }

    /** @param pem the CA bundle: PEM certificates only, never a key */
    public record Props(String pem) {
        public Props {
            Objects.requireNonNull(pem, "pem");
            if (pem.contains("PRIVATE KEY")) {
                throw new IllegalArgumentException("The truststore bundle must not contain a private key");
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private String pem;

            public Builder pem(String pem) {
                this.pem = pem;
                return this;
            }

            public Props build() {
                return new Props(pem);
            }
        }
    }
}
