/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;

import com.lmax.disruptor.RingBuffer;
import org.HdrHistogram.SingleWriterRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.transport.TransportCounters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stats line, driven from the test thread: it starts with the time as the log lines write it, and an interval in
 * which nothing happened prints nothing, while any message, connection or error does.
 */
@Timeout(10)
class StatsLineTest
{
    private static final long SECOND_NS = 1_000_000_000L;

    private final RouterMetrics router =
        new RouterMetrics(TransportCounters.newCountersManager(RouterMetrics.COUNTERS));
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();
    private final StageHistogram stage = new StageHistogram(Stage.READ_TO_ROUTE,
        new SingleWriterRecorder[]{router.readToRouteRecorder()}, false, true, 0);
    private final StatsLine statsLine = new StatsLine(router, accepted::get, closed::get,
        RingBuffer.createSingleProducer(Object::new, 8), new StageHistogram[]{stage}, 0);

    private String next(final long second)
    {
        stage.sample();
        return statsLine.next(second * SECOND_NS, 1_796_315_405_001L + second * 1000);
    }

    @Test
    void shouldStampEachLineAndStayQuietWhileNothingHappens()
    {
        assertNull(next(1), "nothing has happened since start");

        accepted.incrementAndGet();
        final String connected = next(2);
        assertNotNull(connected, "a connection opened");
        final String expectedTime = LocalDateTime.ofInstant(java.time.Instant.ofEpochMilli(1_796_315_407_001L),
            ZoneId.systemDefault()).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
        assertTrue(connected.startsWith(expectedTime + " stats over 1.0 s: conns 1 open/1 total"), connected);

        assertNull(next(3), "nothing happened in this interval");
        assertNull(next(4), "nor in this one");

        router.onMessageIn(5_000);
        router.onDelivered();
        final String message = next(5);
        assertNotNull(message, "a message moved");
        assertTrue(message.contains("stats over 1.0 s:") && message.contains(", in 1 (1/s), delivered 1 (1/s),"),
            "the interval and rates since the last interval, printed or not: " + message);
        assertTrue(message.contains("read-to-route 5.0/5.0/5.0"), message);

        assertNull(next(6));
        router.onErrorSent(ErrorKind.BAD_LINE);
        assertNotNull(next(7), "an error was sent");
        assertNull(next(8));
        closed.incrementAndGet();
        final String disconnected = next(9);
        assertNotNull(disconnected, "a connection closed");
        assertTrue(disconnected.contains("conns 0 open/1 total"), disconnected);
        router.onSlowConsumer();
        assertNotNull(next(10), "a slow consumer was cut");
        assertEquals(null, next(11));
    }
}
