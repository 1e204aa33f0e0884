/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class OutboundTest
{
    private static byte[] randomMessage(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static void write(final Outbound outbound, final byte[] message)
    {
        // Split the message over the three kinds of append so each is exercised across fragment boundaries.
        final int third = message.length / 3;
        outbound.append(new UnsafeBuffer(message), 0, third);
        outbound.append(message[third]);
        final byte[] rest = new byte[message.length - third - 1];
        System.arraycopy(message, third + 1, rest, 0, rest.length);
        outbound.append(rest);
        outbound.commit();
    }

    private static void drain(final Outbound outbound, final ByteBuffer staging, final ByteArrayOutputStream sink)
    {
        while (true)
        {
            staging.clear();
            final int n = outbound.drainTo(staging);
            if (0 == n)
            {
                return;
            }
            staging.flip();
            final byte[] chunk = new byte[staging.remaining()];
            staging.get(chunk);
            sink.write(chunk, 0, chunk.length);
        }
    }

    @Test
    void shouldCarryMessagesLargerThanOneRecordWholeAndInOrder()
    {
        final Outbound outbound = new Outbound(64 * 1024, 1024);
        assertEquals(1024, outbound.maxFragmentBytes());
        final ByteBuffer staging = ByteBuffer.allocateDirect(1024);
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        final ByteArrayOutputStream actual = new ByteArrayOutputStream();
        final Random random = new Random(42);

        for (int i = 0; i < 2_000; i++)
        {
            final byte[] message = randomMessage(random, 1 + random.nextInt(20_000));
            while (!outbound.tryBegin(message.length))
            {
                drain(outbound, staging, actual); // the consumer frees room, as a writer would
            }
            write(outbound, message);
            expected.write(message, 0, message.length);
        }
        drain(outbound, staging, actual);

        assertArrayEquals(expected.toByteArray(), actual.toByteArray());
    }

    @Test
    void shouldDrainEveryMessageInOneCallAcrossTheWrapOfTheRing()
    {
        // Regression: a drain that stopped at the padding record before the wrap left the next message unsent
        // until another message arrived for the same peer.
        final Outbound outbound = new Outbound(4096, 256);
        final ByteBuffer staging = ByteBuffer.allocateDirect(256);
        final Random random = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            final byte[] message = randomMessage(random, 1 + random.nextInt(200));
            assertTrue(outbound.tryBegin(message.length));
            write(outbound, message);
            staging.clear();
            assertEquals(message.length, outbound.drainTo(staging), "message " + i);
            staging.flip();
            final byte[] drained = new byte[staging.remaining()];
            staging.get(drained);
            assertArrayEquals(message, drained, "message " + i);
        }
    }

    @Test
    void shouldRefuseAMessageWholeWhenTheRingIsFullAndWriteNothing()
    {
        final Outbound outbound = new Outbound(4096, 256);
        final byte[] message = "from alice: 0123456789012345678901234567890123456789\n".getBytes(StandardCharsets.US_ASCII);
        int accepted = 0;
        while (outbound.tryBegin(message.length))
        {
            write(outbound, message);
            accepted++;
        }
        final int queued = outbound.queuedBytes();
        assertTrue(accepted > 10, "accepted " + accepted);
        assertFalse(outbound.tryBegin(message.length));
        assertEquals(queued, outbound.queuedBytes(), "a refused message must not leave bytes behind");

        final ByteArrayOutputStream actual = new ByteArrayOutputStream();
        drain(outbound, ByteBuffer.allocateDirect(256), actual);
        assertEquals(accepted * message.length, actual.size());
        assertTrue(outbound.tryBegin(message.length), "room again once drained");
    }

    @Test
    void shouldAdmitTheLargestMessageWhenTheRingIsTwiceItsSize()
    {
        final int ringBytes = 128 * 1024;
        final Outbound outbound = new Outbound(ringBytes, 16 * 1024);
        final byte[] message = new byte[ringBytes / 2];
        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
    }

    @Test
    void shouldGrowAChainByDoublingAndGiveBackWhatTheWriterHasPassed()
    {
        final Outbound outbound = new Outbound(1024 * 1024, 1024);
        final byte[] message = new byte[1000];
        new Random(3).nextBytes(message);
        final int messages = 200;
        for (int i = 0; i < messages; i++)
        {
            assertTrue(outbound.tryBegin(message.length), "message " + i);
            write(outbound, message);
        }
        // 4 KiB, 8 KiB, ... until about 200 KB fit: several segments, at most about twice what is queued.
        final long queued = outbound.queuedBytes();
        assertTrue(queued >= messages * message.length, "queued " + queued);
        assertTrue(outbound.heldBytes() > 64 * 1024, "held " + outbound.heldBytes());
        assertTrue(outbound.heldBytes() <= 2 * queued + 64 * 1024, "held " + outbound.heldBytes());

        final ByteArrayOutputStream actual = new ByteArrayOutputStream();
        drain(outbound, ByteBuffer.allocateDirect(1024), actual);
        assertEquals(messages * message.length, actual.size());
        assertEquals(0, outbound.queuedBytes());

        // The next message lets the broker give back every segment behind the writer's: only the tail is left.
        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
        assertTrue(outbound.heldBytes() <= 128 * 1024 + 1024, "held after draining " + outbound.heldBytes());
        final ByteArrayOutputStream last = new ByteArrayOutputStream();
        drain(outbound, ByteBuffer.allocateDirect(1024), last);
        assertArrayEquals(message, last.toByteArray());
    }

    @Test
    void shouldGiveBackAnIdlePeersSegmentOnlyOnceItHasBeenSeenIdleForTheGrace()
    {
        final OutboundSegmentPool pool = OutboundSegmentPool.standalone(1024 * 1024, 64L << 20, 1024);
        final Connection connection = new Connection(1, null, null, null, pool,
            TransportCounters.newCountersManager(1).newCounter("taken"), 0, 0);
        final Outbound outbound = connection.outbound();
        final byte[] message = new byte[100];
        final long graceNs = 1_000_000;
        final long t0 = 1_000_000_000L;

        // A peer's first chain goes back as soon as it is seen idle: no grace before it has taken memory twice.
        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
        drain(outbound, ByteBuffer.allocateDirect(1024), new ByteArrayOutputStream());
        outbound.markIdle();
        assertTrue(outbound.releaseIfIdle(t0 - graceNs, graceNs), "first chain: given back at once");
        assertEquals(0, outbound.heldBytes());

        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
        drain(outbound, ByteBuffer.allocateDirect(1024), new ByteArrayOutputStream());
        outbound.markIdle(); // the writer wrote everything and will not touch it until scheduled
        assertTrue(outbound.heldBytes() > 0);

        assertFalse(outbound.releaseIfIdle(t0, graceNs), "first seen idle: kept");
        assertFalse(outbound.releaseIfIdle(t0 + graceNs - 1, graceNs), "idle for less than the grace: kept");
        // A message in between starts the idle time over.
        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
        drain(outbound, ByteBuffer.allocateDirect(1024), new ByteArrayOutputStream());
        assertFalse(outbound.releaseIfIdle(t0 + graceNs, graceNs), "busy again since: seen idle afresh");
        assertFalse(outbound.releaseIfIdle(t0 + 2 * graceNs - 1, graceNs));
        assertTrue(outbound.releaseIfIdle(t0 + 2 * graceNs, graceNs), "idle for the grace: given back");
        assertEquals(0, outbound.heldBytes());

        // The budget does not wait: no grace gives it back at once.
        assertTrue(outbound.tryBegin(message.length));
        write(outbound, message);
        drain(outbound, ByteBuffer.allocateDirect(1024), new ByteArrayOutputStream());
        assertTrue(outbound.releaseIfIdle(t0, 0));
        assertEquals(0, outbound.heldBytes());
    }

    @Test
    void shouldRefuseAMessageThatWouldTakeTheQueuePastTheBoundAndNotBefore()
    {
        final int bound = 64 * 1024;
        final Outbound outbound = new Outbound(bound, 1024);
        final byte[] message = new byte[1000];
        int accepted = 0;
        while (outbound.tryBegin(message.length))
        {
            write(outbound, message);
            accepted++;
        }
        final int queued = outbound.queuedBytes();
        // A record adds its 8-byte header and pads to 8 bytes: 1,008 bytes here.
        assertTrue(queued + message.length + 16 > bound, "refused at " + queued + " bytes queued");
        assertTrue(queued <= bound, "queued " + queued);
        assertTrue(accepted >= bound / (message.length + 16) - 1, "accepted " + accepted);
    }
}
