/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

class NodeSpreadTest
{
    @Test
    @Timeout(10)
    void shouldPutEveryPeerOnTheOneNodeOfOneNode()
    {
        for (final Workload workload : new Workload[]{
            Workload.pairs(3, "lg-"), Workload.fanout(2, 5, "lg-"), Workload.mesh(4, "lg-")})
        {
            final NodeSpread spread = NodeSpread.of(workload, 1);
            for (int peer = 0; peer < workload.peerCount(); peer++)
            {
                assertEquals(0, spread.nodeOfPeer(peer));
            }
            assertEquals(workload.peerCount(), spread.peersOnNode(0));
            assertFalse(spread.everyMessageCrossesNodes());
            assertEquals("all peers on one node", spread.describe());
        }
        assertEquals(0, NodeSpread.nodeOfIdlePeer(7, 1));
    }

    @Test
    @Timeout(10)
    void shouldPutAPairsSenderOnNodeIAndItsReceiverOnTheNext()
    {
        final Workload workload = Workload.pairs(4, "lg-");
        final NodeSpread spread = NodeSpread.of(workload, 3);
        final int[] senderNodes = {0, 1, 2, 0};
        final int[] receiverNodes = {1, 2, 0, 1};
        for (int i = 0; i < 4; i++)
        {
            assertEquals(senderNodes[i], spread.nodeOfPeer(workload.peerOfSender(i)), "sender " + i);
            assertEquals(receiverNodes[i], spread.nodeOfPeer(workload.peerOfReceiver(i)), "receiver " + i);
        }
        assertTrue(spread.everyMessageCrossesNodes());
        assertEquals(3, spread.peersOnNode(0));
        assertEquals(3, spread.peersOnNode(1));
        assertEquals(2, spread.peersOnNode(2));
        assertTrue(spread.describe().contains("peers per node 3, 3, 2"), spread.describe());

        // Ping-pong is one pair: its two ends on two nodes.
        final Workload onePair = Workload.pairs(1, "lg-");
        final NodeSpread two = NodeSpread.of(onePair, 2);
        assertNotEquals(two.nodeOfPeer(onePair.peerOfSender(0)), two.nodeOfPeer(onePair.peerOfReceiver(0)));
        assertTrue(two.everyMessageCrossesNodes());
    }

    @Test
    @Timeout(10)
    void shouldKeepFanoutSendersOffEveryReceiversNode()
    {
        final Workload workload = Workload.fanout(2, 5, "lg-");
        final NodeSpread spread = NodeSpread.of(workload, 3);
        assertEquals(0, spread.nodeOfPeer(workload.peerOfSender(0)));
        assertEquals(0, spread.nodeOfPeer(workload.peerOfSender(1)));
        final int[] receiverNodes = {1, 2, 1, 2, 1};
        for (int r = 0; r < 5; r++)
        {
            assertEquals(receiverNodes[r], spread.nodeOfPeer(workload.peerOfReceiver(r)), "receiver " + r);
        }
        assertTrue(spread.everyMessageCrossesNodes());
        assertTrue(NodeSpread.of(Workload.fanout(3, 4, "lg-"), 2).everyMessageCrossesNodes());
    }

    @Test
    @Timeout(10)
    void shouldPutMeshAndIdlePeersRoundRobin()
    {
        final Workload workload = Workload.mesh(7, "lg-");
        final NodeSpread spread = NodeSpread.of(workload, 3);
        for (int peer = 0; peer < 7; peer++)
        {
            assertEquals(peer % 3, spread.nodeOfPeer(peer));
            assertEquals(peer % 3, NodeSpread.nodeOfIdlePeer(peer, 3));
        }
        assertFalse(spread.everyMessageCrossesNodes(), "random destinations: some stay on their node");
        assertTrue(spread.describe().contains("1 in 3"), spread.describe());
    }

    @Test
    @Timeout(10)
    void shouldRefuseNoNodes()
    {
        assertThrows(IllegalArgumentException.class, () -> NodeSpread.of(Workload.pairs(1, "lg-"), 0));
    }
}
