/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bystander pair measuring round trips through the broker: {@code ping} sends {@code pong: i}, {@code pong} echoes
 * {@code ping: i}, ping times the round trip. One message in flight, so a stall anywhere on the path (the broker
 * thread, a reader, a writer) shows up whole in the round trip that meets it.
 */
final class PingPong
{
    private final LineClient ping;
    private final LineClient pong;
    private Future<Integer> echo;

    PingPong(final LineClient ping, final LineClient pong)
    {
        this.ping = ping;
        this.pong = pong;
    }

    PingPong start(final ExecutorService executor)
    {
        echo = executor.submit(() ->
        {
            int echoed = 0;
            while (true)
            {
                final String line = pong.readLine(Duration.ofSeconds(60));
                final String prefix = "from " + ping.name() + ": ";
                assertTrue(line.startsWith(prefix), "pong got " + line);
                final String body = line.substring(prefix.length());
                if (body.equals("stop"))
                {
                    return echoed;
                }
                pong.send(ping.name() + ": " + body);
                echoed++;
            }
        });
        return this;
    }

    /**
     * Does round trips until {@code until} holds (checked between round trips) and at least {@code minRounds}.
     *
     * @return the round-trip times in nanoseconds, sorted.
     */
    long[] measure(final BooleanSupplier until, final int minRounds, final Duration timeout) throws IOException
    {
        long[] rtts = new long[1024];
        int n = 0;
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while ((n < minRounds || !until.getAsBoolean()) && System.nanoTime() - deadlineNs < 0)
        {
            final long startNs = System.nanoTime();
            ping.send(pong.name() + ": " + n);
            assertEquals("from " + pong.name() + ": " + n, ping.readLine(Duration.ofSeconds(30)),
                "round trip " + n);
            if (n == rtts.length)
            {
                rtts = Arrays.copyOf(rtts, n * 2);
            }
            rtts[n++] = System.nanoTime() - startNs;
        }
        final long[] result = Arrays.copyOf(rtts, n);
        Arrays.sort(result);
        return result;
    }

    void stop() throws Exception
    {
        ping.send(pong.name() + ": stop");
        CampaignSupport.join(echo, Duration.ofSeconds(30), "the pong echo to stop");
    }

    static double percentileMs(final long[] sorted, final double percentile)
    {
        if (sorted.length == 0)
        {
            return 0;
        }
        final int index = (int)Math.min(sorted.length - 1, Math.ceil(percentile / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / (double)TimeUnit.MILLISECONDS.toNanos(1);
    }

    static String describe(final long[] sorted)
    {
        return String.format("%d round trips: p50 %.2f ms, p99 %.2f ms, max %.2f ms", sorted.length,
            percentileMs(sorted, 50), percentileMs(sorted, 99), percentileMs(sorted, 100));
    }
}
