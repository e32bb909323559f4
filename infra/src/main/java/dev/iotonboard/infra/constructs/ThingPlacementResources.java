package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.ThingPlacement;
import java.util.List;
import java.util.Objects;
import software.amazon.awscdk.services.iot.CfnThingGroup;
import software.amazon.awscdk.services.iot.CfnThingType;
import software.constructs.Construct;

/**
 * The thing type (with the configured attributes' first three names searchable) and the static thing groups thing
 * provisioning places devices in ({@link ThingPlacement}).
 */
public final class ThingPlacementResources extends Construct {

    private final List<CfnThingGroup> groups;

    public ThingPlacementResources(Construct scope, String id, ThingPlacement placement) {
        super(scope, id);
        Objects.requireNonNull(placement, "placement");
        placement.thingTypeName().ifPresent(type -> CfnThingType.Builder.create(this, "ThingType")
                .thingTypeName(type)
                .thingTypeProperties(CfnThingType.ThingTypePropertiesProperty.builder()
                        .thingTypeDescription("Devices onboarded by JITR with a private CA")
                        .searchableAttributes(placement.searchableAttributes())
                        .build())
                .build());
        groups = placement.thingGroupNames().stream().map(group -> CfnThingGroup.Builder
                .create(this, "ThingGroup-" + group.replaceAll("[^A-Za-z0-9]", "_"))
                .thingGroupName(group)
                .thingGroupProperties(CfnThingGroup.ThingGroupPropertiesProperty.builder()
                        .thingGroupDescription("Every device onboarded by JITR with a private CA")
                        .build())
                .build()).toList();
    }

    public List<CfnThingGroup> getGroups() {
        return groups;
    }
}
