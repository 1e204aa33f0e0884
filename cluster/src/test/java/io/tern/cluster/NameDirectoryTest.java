/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The directory on a three-member cluster on loopback, through each node's link as the Router uses it: one name, one
 * holder, cluster-wide; a race has one winner; a node that leaves frees its names. One cluster for the class; the
 * test that stops a node runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NameDirectoryTest
{
    private static TestNodes cluster;

    @BeforeAll
    static void start() throws Exception
    {
        cluster = new TestNodes(3, 3000);
        cluster.awaitConnected(30_000);
    }

    @AfterAll
    static void stop()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    @Order(0)
    @Timeout(30)
    void shouldBatchTheLinksBetweenNodesOnThisMachineInto8KiBDatagrams() throws Exception
    {
        assertEquals(ClusterNode.LOCAL_LINK_MTU, cluster.nodes[0].linkMtu(1));
        assertEquals(ClusterNode.LOCAL_LINK_MTU, cluster.nodes[2].linkMtu(0));
        assertEquals(ClusterNode.LOCAL_LINK_MTU, ClusterNode.linkMtu("localhost"));
        for (final NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces()))
        {
            for (final InetAddress address : Collections.list(nic.getInetAddresses()))
            {
                assertEquals(ClusterNode.LOCAL_LINK_MTU, ClusterNode.linkMtu(address.getHostAddress()),
                    "this machine's own address " + address);
            }
        }
        assertEquals(ClusterNode.REMOTE_LINK_MTU, ClusterNode.linkMtu("192.0.2.1"), "an address of another machine");
    }

    @Test
    @Order(1)
    @Timeout(30)
    void shouldRefuseOnAnotherNodeANameHeldOnOne()
    {
        assertTrue(cluster.claim(0, 101, "alice"));
        TestNodes.await(() -> cluster.events[0].has("granted 101"), 10_000, "node 0 gets alice");
        assertTrue(cluster.claim(2, 102, "alice"));
        TestNodes.await(() -> cluster.events[2].has("taken 102"), 10_000, "node 2 is refused alice");
        assertFalse(cluster.events[2].has("granted 102"));
        TestNodes.await(() -> cluster.events[1].has("held 0 alice"), 10_000, "node 1 learns node 0 holds alice");
    }

    @Test
    @Order(2)
    @Timeout(30)
    void shouldGiveARacedNameToExactlyOneNode()
    {
        for (int node = 0; node < 3; node++)
        {
            assertTrue(cluster.claim(node, 200 + node, "carol"));
        }
        TestNodes.await(() -> answers(200) == 3, 10_000, "all three claims are answered");
        int granted = 0;
        for (int node = 0; node < 3; node++)
        {
            granted += cluster.events[node].has("granted " + (200 + node)) ? 1 : 0;
        }
        assertEquals(1, granted, "claims of carol granted: " + granted);
    }

    @Test
    @Order(3)
    @Timeout(30)
    void shouldFreeAReleasedNameForAnotherNode()
    {
        assertTrue(cluster.claim(1, 301, "dave"));
        TestNodes.await(() -> cluster.events[1].has("granted 301"), 10_000, "node 1 gets dave");
        assertTrue(cluster.release(1, "dave"));
        TestNodes.await(() -> cluster.events[0].has("released 1 dave"), 10_000, "node 0 hears dave is free");
        assertTrue(cluster.claim(0, 302, "dave"));
        TestNodes.await(() -> cluster.events[0].has("granted 302"), 10_000, "node 0 gets dave now");
    }

    @Test
    @Order(4)
    @Timeout(30)
    void shouldFreeEveryNameOfANodeThatLeaves()
    {
        // A follower's node leaves: the leader that stays closes its session. (The leader's own node leaving is
        // DirectoryLeaderLeavingTest's, on a cluster of its own.)
        final int leader = cluster.nodes[0].leaderMemberId();
        final int leaving = leader == 2 ? 1 : 2;
        final int asking = leaving == 2 ? (leader == 0 ? 1 : 0) : 0;
        final int watching = 3 - leaving - asking;
        assertTrue(cluster.claim(leaving, 401, "erin"));
        assertTrue(cluster.claim(leaving, 402, "frank"));
        TestNodes.await(() -> cluster.events[leaving].has("granted 401") &&
            cluster.events[leaving].has("granted 402"), 10_000, "node " + leaving + " gets erin and frank");
        cluster.stop(leaving);
        TestNodes.await(() -> cluster.events[watching].has("released " + leaving + " erin") &&
            cluster.events[watching].has("released " + leaving + " frank"),
            10_000, "node " + watching + " hears node " + leaving + "'s names are free");
        assertTrue(cluster.claim(asking, 403, "erin"));
        TestNodes.await(() -> cluster.events[asking].has("granted 403"), 10_000, "node " + asking + " gets erin");
    }

    private static int answers(final int firstClaimId)
    {
        int answered = 0;
        for (int node = 0; node < 3; node++)
        {
            final long id = firstClaimId + node;
            answered += cluster.events[node].has("granted " + id) || cluster.events[node].has("taken " + id) ? 1 : 0;
        }
        return answered;
    }
}
