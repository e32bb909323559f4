package dev.iotonboard.iot.model;

/** The ARNs of the registry's resources: {@code arn:aws:iot:<region>:<account>:<type>/<name>}. */
record Arns(String region, String account) {

    String certificate(String id) {
        return of("cert", id);
    }

    String caCertificate(String id) {
        return of("cacert", id);
    }

    String thing(String name) {
        return of("thing", name);
    }

    String policy(String name) {
        return of("policy", name);
    }

    String thingType(String name) {
        return of("thingtype", name);
    }

    String thingGroup(String name) {
        return of("thinggroup", name);
    }

    String topicRule(String name) {
        return of("rule", name);
    }

    private String of(String type, String name) {
        return "arn:aws:iot:" + region + ":" + account + ":" + type + "/" + name;
    }
}
