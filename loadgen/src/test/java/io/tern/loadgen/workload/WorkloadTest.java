/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.tern.transport.Protocol;

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
    void shouldNameEveryPeerAsTheBrokerAcceptsIt()
    {
        final Workload workload = Workload.fanout(3, 9, "lg-");
        for (int p = 0; p < workload.peerCount(); p++)
        {
            assertNull(Protocol.checkName(workload.peerName(p), Protocol.DEFAULT_MAX_NAME_BYTES), workload.peerName(p));
        }
    }

    @Test
    void shouldAcceptOnlyPrefixesWhoseNamesEveryServerAccepts()
    {
        assertNull(Workload.checkNamePrefix("lg-", 10_000));
        assertNull(Workload.checkNamePrefix("", 10));
        assertNull(Workload.checkNamePrefix("x".repeat(60), 10_000), "60 bytes and 4 digits: exactly 64");
        // tern's name rule
        assertTrue(Workload.checkNamePrefix("x".repeat(61), 10_000).endsWith("longer than 64 bytes"));
        assertTrue(Workload.checkNamePrefix("a,b", 10).endsWith("contains ','"));
        assertTrue(Workload.checkNamePrefix("a:b", 10).endsWith("contains ':'"));
        assertTrue(Workload.checkNamePrefix("a\u007Fb", 10).endsWith("contains a control character"));
        assertTrue(Workload.checkNamePrefix("a\u001Fb", 10).endsWith("contains a control character"));
        // the loadgen's own: ASCII without spaces (NATS subjects, Redis channels), no digit before the index
        assertTrue(Workload.checkNamePrefix("a b", 10).startsWith("printable ASCII only"));
        assertTrue(Workload.checkNamePrefix("\u00e9-", 10).startsWith("printable ASCII only"));
        assertTrue(Workload.checkNamePrefix("x1", 10).startsWith("must not end in a digit"));
        assertThrows(IllegalArgumentException.class, () -> Workload.pairs(2, "a:b"));
    }

    @Test
    void shouldPairEachSenderWithItsOwnReceiver()
    {
        final Workload pairs = Workload.pairs(3, "p");
        assertEquals(6, pairs.peerCount());
        assertEquals(3, pairs.peerOfReceiver(0));
        assertTrue(pairs.sendsTo(1, 1));
        assertFalse(pairs.sendsTo(1, 2));
        assertEquals("p4: ", new String(pairs.destinationsOfSender(1).prefixBytes(), StandardCharsets.US_ASCII));
        assertEquals(List.of(1, 4), pairs.probeTargetsOf(1));
        assertEquals(List.of(4, 1), pairs.probeTargetsOf(4));
    }

    @Test
    void shouldAddressEveryFanoutReceiverInOneLine()
    {
        final Workload fanout = Workload.fanout(2, 3, "f");
        assertEquals(5, fanout.peerCount());
        assertEquals(3, fanout.deliveriesPerMessage());
        assertEquals("f2, f3, f4: ", new String(fanout.destinationsOfSender(0).prefixBytes(), StandardCharsets.US_ASCII));
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
