/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A well-behaved sender and receiver: the sender sends {@code count} numbered lines to the receiver in small paced
 * bursts, then an end marker; the receiver checks it gets every one exactly once and in order (by sequence number).
 * Lines from other senders are counted and tolerated only if {@code toleratesStrangers}; any other line fails. Those
 * holding a control character (which could show as another line on a terminal) are counted apart. The sender reads
 * nothing but must have received nothing (checked with a self-probe at the end).
 */
final class SequencedPair
{
    private final LineClient sender;
    private final LineClient receiver;
    private final int count;
    private final int burst;
    private final long pauseNs;
    private final boolean toleratesStrangers;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong strangers = new AtomicLong();
    private final AtomicLong strangersWithControls = new AtomicLong();
    private Future<Long> sending;
    private Future<Long> receiving;

    SequencedPair(final LineClient sender, final LineClient receiver, final int count, final int burst,
        final long pauseNs, final boolean toleratesStrangers)
    {
        this.sender = sender;
        this.receiver = receiver;
        this.count = count;
        this.burst = burst;
        this.pauseNs = pauseNs;
        this.toleratesStrangers = toleratesStrangers;
    }

    SequencedPair start(final ExecutorService executor)
    {
        receiving = executor.submit(this::receive);
        sending = executor.submit(this::send);
        return this;
    }

    long received()
    {
        return received.get();
    }

    long strangers()
    {
        return strangers.get();
    }

    /** @return stranger lines holding a C0 control other than tab, DEL or a C1 control: the broker must refuse those. */
    long strangersWithControls()
    {
        return strangersWithControls.get();
    }

    private Long send() throws IOException
    {
        final StringBuilder sb = new StringBuilder(burst * 64);
        int seq = 0;
        while (seq < count)
        {
            sb.setLength(0);
            for (int i = 0; i < burst && seq < count; i++, seq++)
            {
                sb.append(receiver.name()).append(": seq ").append(seq).append(" of ").append(sender.name())
                    .append('\n');
            }
            sender.sendRaw(sb.toString().getBytes(StandardCharsets.UTF_8));
            if (pauseNs > 0)
            {
                LockSupport.parkNanos(pauseNs); // pacing, not synchronisation
            }
            if (Thread.currentThread().isInterrupted())
            {
                throw new IllegalStateException(sender.name() + " interrupted after " + seq);
            }
        }
        sender.send(receiver.name() + ": end of " + sender.name());
        return (long)seq;
    }

    private Long receive() throws IOException
    {
        final String prefix = "from " + sender.name() + ": ";
        final String end = prefix + "end of " + sender.name();
        long expected = 0;
        while (true)
        {
            final String line = receiver.readLine(Duration.ofSeconds(60));
            if (line.startsWith(prefix))
            {
                if (line.equals(end))
                {
                    assertEquals(count, expected, receiver.name() + ": messages from " + sender.name());
                    return expected;
                }
                final String expectedLine = prefix + "seq " + expected + " of " + sender.name();
                if (!line.equals(expectedLine))
                {
                    fail(receiver.name() + " expected '" + expectedLine + "' but got '" + line + "'");
                }
                expected++;
                received.lazySet(expected);
            }
            else if (toleratesStrangers && line.startsWith("from "))
            {
                strangers.incrementAndGet();
                if (line.chars().anyMatch(c -> (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F)))
                {
                    strangersWithControls.incrementAndGet();
                }
            }
            else
            {
                fail(receiver.name() + " got an unexpected line after " + expected + " of " + sender.name() + ": '" +
                    line + "'");
            }
        }
    }

    /** Waits for both sides, then confirms with a self-probe that the sender got no error replies. */
    void awaitAndCheck(final Duration timeout) throws Exception
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        CampaignSupport.join(sending, timeout, sender.name() + " sending");
        CampaignSupport.join(receiving, Duration.ofNanos(Math.max(TimeUnit.SECONDS.toNanos(1),
            deadlineNs - System.nanoTime())), receiver.name() + " receiving");
        CampaignSupport.assertNextLineIsProbe(sender, sender);
    }
}
