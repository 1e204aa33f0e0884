/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster settings as the broker alone sees them: checked at start-up, and refused with a clear message when the
 * cluster module is not on the class path (this module's tests do not have it).
 */
class BrokerClusterSettingsTest
{
    @Test
    @Timeout(10)
    void shouldRefuseClusterSettingsWithoutTheClusterModule()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Broker.launch(
            new BrokerConfig().port(0).adminPort(-1).set(Settings.CLUSTER_MEMBERS, "127.0.0.1:36000")));
        assertTrue(ex.getMessage().contains("tern-cluster"), ex.getMessage());
    }

    @Test
    @Timeout(10)
    void shouldRefuseAMemberThatIsNotHostAndPort()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
            new BrokerConfig().set(Settings.CLUSTER_MEMBERS, "127.0.0.1:36000,nohost").conclude());
        assertTrue(ex.getMessage().contains("cluster-members") && ex.getMessage().contains("'nohost'"),
            ex.getMessage());
    }

    @Test
    @Timeout(10)
    void shouldParseMembersIntoEndpoints()
    {
        final ClusterMembers members = ClusterMembers.parse("10.0.0.1:36000, 10.0.0.2:36010");
        assertTrue(members.count() == 2 && members.endpoint(1, ClusterMembers.MESSAGES_PORT_OFFSET)
            .equals("10.0.0.2:36015"), members.endpoint(1, ClusterMembers.MESSAGES_PORT_OFFSET));
    }
}
