/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WorkloadTest
{
    private static int peerOfName(final Workload workload, final String name)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(100);
        buffer.put(3, name.getBytes(StandardCharsets.US_ASCII));
        return workload.peerOfName(buffer, 3, name.length());
    }

    @Test
    void shouldParsePeerNamesInPlace()
    {
        final Workload workload = Workload.mesh(12, "lg-");
        assertEquals(0, peerOfName(workload, "lg-0"));
        assertEquals(11, peerOfName(workload, "lg-11"));
        assertEquals(-1, peerOfName(workload, "lg-12"));
        assertEquals(-1, peerOfName(workload, "lg-01"));
        assertEquals(-1, peerOfName(workload, "lg-"));
        assertEquals(-1, peerOfName(workload, "xx-1"));
        assertEquals(-1, peerOfName(workload, "lg-1a"));
    }

    @Test
    void shouldPairEachSenderWithItsOwnReceiver()
    {
        final Workload pairs = Workload.pairs(3, "p");
        assertEquals(6, pairs.peerCount());
        assertEquals(3, pairs.peerOfReceiver(0));
        assertTrue(pairs.sendsTo(1, 1));
        assertFalse(pairs.sendsTo(1, 2));
        assertEquals("p4: ", new String(pairs.destinationPrefixOfSender(1), StandardCharsets.US_ASCII));
        assertEquals(List.of(1, 4), pairs.probeTargetsOf(1));
        assertEquals(List.of(4, 1), pairs.probeTargetsOf(4));
    }

    @Test
    void shouldAddressEveryFanoutReceiverInOneLine()
    {
        final Workload fanout = Workload.fanout(2, 3, "f");
        assertEquals(5, fanout.peerCount());
        assertEquals(3, fanout.deliveriesPerMessage());
        assertEquals("f2, f3, f4: ", new String(fanout.destinationPrefixOfSender(0), StandardCharsets.US_ASCII));
        assertEquals(List.of(0, 2, 3, 4), fanout.probeTargetsOf(0));
        assertEquals(List.of(2, 0, 1), fanout.probeTargetsOf(2));
    }

    @Test
    void shouldNeverSendToItselfInAMesh()
    {
        final Workload mesh = Workload.mesh(4, "m");
        assertFalse(mesh.sendsTo(2, 2));
        assertTrue(mesh.sendsTo(2, 3));
        assertEquals(List.of(2, 3, 1), mesh.probeTargetsOf(2));
    }
}
