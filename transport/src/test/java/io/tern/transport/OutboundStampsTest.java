/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stamped messages in the outbound ring: the stamps ride on each message's last record, never reach the byte
 * stream, come out in order with the message's end position in the staging buffer, and count in tryBegin's space
 * accounting; the writer's stamp store records exactly the messages a write completed.
 */
@Timeout(10)
class OutboundStampsTest
{
    private static final int MAX_FRAGMENT = 1024;

    /** One message as the writer should see it: where it ends in the stream, and its stamps. */
    private record Expected(long streamEnd, long readNs, long routeNs)
    {
    }

    private static void write(final Outbound outbound, final byte[] message)
    {
        final int half = message.length / 2;
        outbound.append(new UnsafeBuffer(message), 0, half);
        final byte[] rest = new byte[message.length - half];
        System.arraycopy(message, half, rest, 0, rest.length);
        outbound.append(rest);
        outbound.commit();
    }

    /**
     * Drains as a writer does, one staging fill at a time, and checks each stamp against the expected messages: the
     * stream position where it ends, and its read and route stamps.
     *
     * @return stamped messages seen.
     */
    private static int drainAndCheck(final Outbound outbound, final ByteBuffer staging, final WriteStamps stamps,
        final ByteArrayOutputStream stream, final List<Expected> expected, final int seenBefore)
    {
        int seen = seenBefore;
        while (true)
        {
            staging.clear();
            final long fillStart = stream.size();
            final int n = outbound.drainTo(staging, stamps);
            if (0 == n)
            {
                assertTrue(stamps.isEmpty());
                return seen;
            }
            for (int i = 0; i < stamps.size(); i++)
            {
                final Expected message = expected.get(seen + i);
                assertEquals(message.streamEnd(), fillStart + stamps.endPosition(i), "end of message " + (seen + i));
                assertEquals(message.readNs(), stamps.readNs(i), "read stamp of message " + (seen + i));
                assertEquals(message.routeNs(), stamps.routeNs(i), "route stamp of message " + (seen + i));
            }
            seen += stamps.size();
            stamps.clear(); // as if written
            staging.flip();
            final byte[] chunk = new byte[staging.remaining()];
            staging.get(chunk);
            stream.write(chunk, 0, chunk.length);
        }
    }

    @Test
    void shouldCarryEachMessagesStampsToItsEndAndKeepThemOutOfTheStream()
    {
        final Outbound outbound = new Outbound(64 * 1024, MAX_FRAGMENT);
        final ByteBuffer staging = ByteBuffer.allocateDirect(MAX_FRAGMENT);
        final WriteStamps stamps = new WriteStamps();
        final ByteArrayOutputStream expectedStream = new ByteArrayOutputStream();
        final ByteArrayOutputStream actualStream = new ByteArrayOutputStream();
        final List<Expected> expected = new ArrayList<>();
        final Random random = new Random(11);

        // Lengths around every fragment boundary, where the last record must keep a byte back for its stamps.
        final int[] edges = {1, 2, MAX_FRAGMENT - 17, MAX_FRAGMENT - 16, MAX_FRAGMENT - 15, MAX_FRAGMENT - 1,
            MAX_FRAGMENT, MAX_FRAGMENT + 1, 2 * MAX_FRAGMENT - 16, 2 * MAX_FRAGMENT - 15, 2 * MAX_FRAGMENT,
            3 * MAX_FRAGMENT + 7};
        int seen = 0;
        for (int i = 0; i < 3_000; i++)
        {
            final int length = i < edges.length ? edges[i] : 1 + random.nextInt(5_000);
            final byte[] message = new byte[length];
            random.nextBytes(message);
            final boolean stamped = i % 5 != 0; // every fifth is an unstamped reply, as errors are
            while (!(stamped ? outbound.tryBegin(length, 1000L + i, 2000L + i) : outbound.tryBegin(length)))
            {
                seen = drainAndCheck(outbound, staging, stamps, actualStream, expected, seen);
            }
            write(outbound, message);
            expectedStream.write(message, 0, message.length);
            if (stamped)
            {
                expected.add(new Expected(expectedStream.size(), 1000L + i, 2000L + i));
            }
        }
        seen = drainAndCheck(outbound, staging, stamps, actualStream, expected, seen);

        assertArrayEquals(expectedStream.toByteArray(), actualStream.toByteArray());
        assertEquals(expected.size(), seen);
    }

    @Test
    void shouldStripStampsWhenDrainingWithoutAStampStore()
    {
        final Outbound outbound = new Outbound(4096, 256);
        final ByteBuffer staging = ByteBuffer.allocateDirect(256);
        final byte[] message = "from a: hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(outbound.tryBegin(message.length, 1, 2));
        write(outbound, message);
        assertEquals(message.length, outbound.drainTo(staging));
        staging.flip();
        final byte[] drained = new byte[staging.remaining()];
        staging.get(drained);
        assertArrayEquals(message, drained);
    }

    @Test
    void shouldRefuseAStampedMessageWholeWhenTheRingIsFull()
    {
        final Outbound outbound = new Outbound(4096, 256);
        final byte[] message = new byte[100];
        int accepted = 0;
        while (outbound.tryBegin(message.length, accepted, accepted))
        {
            write(outbound, message);
            accepted++;
        }
        final int queued = outbound.queuedBytes();
        assertFalse(outbound.tryBegin(message.length, 0, 0));
        assertEquals(queued, outbound.queuedBytes(), "a refused message must not leave bytes behind");

        final WriteStamps stamps = new WriteStamps();
        final ByteBuffer staging = ByteBuffer.allocateDirect(256);
        int drainedMessages = 0;
        int drainedBytes;
        while ((drainedBytes = outbound.drainTo(staging, stamps)) > 0)
        {
            assertEquals(drainedBytes, stamps.size() * message.length);
            drainedMessages += stamps.size();
            stamps.clear();
            staging.clear();
        }
        assertEquals(accepted, drainedMessages);
    }

    @Test
    void shouldAdmitTheLargestStampedMessageWhenTheRingIsTwiceItsSize()
    {
        final int ringBytes = 128 * 1024;
        final Outbound outbound = new Outbound(ringBytes, 16 * 1024);
        final byte[] message = new byte[ringBytes / 2];
        assertTrue(outbound.tryBegin(message.length, 1, 2));
        write(outbound, message);
    }

    @Test
    void shouldStopStagingAtTheStampStoresCapacityAndGoOnOnceWritten()
    {
        final Outbound outbound = new Outbound(64 * 1024, 16 * 1024);
        final ByteBuffer staging = ByteBuffer.allocateDirect(16 * 1024);
        final WriteStamps stamps = new WriteStamps();
        final byte[] message = "from a: x\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final int messages = WriteStamps.CAPACITY + 44;
        for (int i = 0; i < messages; i++)
        {
            assertTrue(outbound.tryBegin(message.length, i, i));
            write(outbound, message);
        }

        assertEquals(WriteStamps.CAPACITY * message.length, outbound.drainTo(staging, stamps));
        assertTrue(stamps.isFull());
        final SingleWriterRecorder routeToWrite = LatencyRecorders.newRecorder();
        final SingleWriterRecorder readToWrite = LatencyRecorders.newRecorder();
        assertEquals(WriteStamps.CAPACITY, stamps.onWritten(staging.position(), routeToWrite, readToWrite));

        staging.clear();
        assertEquals(44 * message.length, outbound.drainTo(staging, stamps));
        assertEquals(44, stamps.size());
    }

    @Test
    void shouldRecordOnlyTheMessagesAWriteCompleted()
    {
        final WriteStamps stamps = new WriteStamps();
        final long nowNs = System.nanoTime();
        stamps.add(10, nowNs - 5_000_000, nowNs - 1_000_000);  // ends at 10
        stamps.add(25, nowNs - 5_000_000, nowNs - 1_000_000);  // ends at 25
        stamps.add(40, nowNs - 5_000_000, nowNs - 1_000_000);  // ends at 40
        final SingleWriterRecorder routeToWrite = LatencyRecorders.newRecorder();
        final SingleWriterRecorder readToWrite = LatencyRecorders.newRecorder();

        assertEquals(0, stamps.onWritten(9, routeToWrite, readToWrite), "a partial write of the first message");
        assertEquals(2, stamps.onWritten(25, routeToWrite, readToWrite));
        assertEquals(1, stamps.size());
        assertEquals(1, stamps.onWritten(40, routeToWrite, readToWrite));
        assertTrue(stamps.isEmpty());

        final Histogram route = routeToWrite.getIntervalHistogram();
        final Histogram read = readToWrite.getIntervalHistogram();
        assertEquals(3, route.getTotalCount());
        assertEquals(3, read.getTotalCount());
        assertTrue(route.getMinValue() >= 1_000_000 && read.getMinValue() >= 5_000_000,
            "route-to-write " + route.getMinValue() + " ns, read-to-write " + read.getMinValue() + " ns");
        assertTrue(read.getMinValue() - route.getMinValue() >= 3_990_000, "read-to-write includes read-to-route");
    }

    @Test
    void shouldClampLatenciesOutsideTheRecordersRange()
    {
        final SingleWriterRecorder recorder = LatencyRecorders.newRecorder();
        LatencyRecorders.record(recorder, -5);
        LatencyRecorders.record(recorder, Long.MAX_VALUE);
        final Histogram histogram = recorder.getIntervalHistogram();
        assertEquals(2, histogram.getTotalCount());
        assertEquals(0, histogram.getMinValue());
        assertTrue(histogram.getMaxValue() >= LatencyRecorders.HIGHEST_TRACKABLE_NS);
    }
}
