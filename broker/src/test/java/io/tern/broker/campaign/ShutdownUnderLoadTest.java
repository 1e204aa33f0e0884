/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shutdown under load: SIGTERM to the broker process while senders flood it; every message the broker had read is
 * delivered to peers still connected before it exits 0.
 * <p>
 * Made checkable two ways. (1) A held pair: {@code held-s} sends {@value #HELD} numbered lines to {@code held-r}, which
 * is not reading, then a self-probe; the probe coming back proves the broker read and routed all of them, and they sit
 * in {@code held-r}'s outbound ring behind a full socket. Then SIGTERM, and only then does {@code held-r} read: it
 * must get all of them, in order, before the close. (2) Flood pairs: each line also goes back to its sender
 * ({@code r-i, s-i: seq}), routed after the receiver's copy; so every sequence number a sender saw come back was
 * routed to its receiver, and the receiver must end with a gapless run from 0 reaching at least that far.
 * {@link ShutdownUnderLoadgenTest} adds a loadgen run.
 */
class ShutdownUnderLoadTest extends CampaignSupport
{
    static final int HELD = 2_000;
    private static final int FLOOD_PAIRS = 4;
    private static final int WINDOW = 2_000;

    @Test
    @Timeout(120)
    void shouldDeliverEverythingReadBeforeSigtermToPeersStillConnected() throws Exception
    {
        try (BrokerProcess broker = BrokerProcess.start(Path.of("target", "campaign", "shutdown"),
            List.of("-Xmx256m"), List.of("--flush-timeout-ms", "5000")))
        {
            address = broker.address();
            final FloodAndHold load = new FloodAndHold(executor, this::register).start();
            load.holdAndProve();

            broker.terminate();
            final List<String> held = load.readHeldUntilClosed();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(30)), "broker exit status after SIGTERM");
            load.checkHeld(held);
            load.checkFloodPairs();
            assertTrue(broker.stdoutText().contains("tern broker stopped"), broker.stdoutText());
            assertFalse(broker.stderrText().contains("SEVERE"), "the broker logged an error:\n" + broker.stderrText());
        }
    }

    /** The in-test load and its checks, shared with {@link ShutdownUnderLoadgenTest}. */
    static final class FloodAndHold
    {
        private final ExecutorService executor;
        private final Registrar registrar;
        private final List<Future<long[]>> receivers = new ArrayList<>();
        private final List<AtomicLong> echoed = new ArrayList<>();
        private final List<Future<Long>> senders = new ArrayList<>();
        private LineClient heldSender;
        private LineClient heldReceiver;

        /** Registers a peer with the broker under test, confirmed: the test's {@code register}. */
        @FunctionalInterface
        interface Registrar
        {
            LineClient register(String name, int receiveBufferBytes) throws IOException;
        }

        /**
         * @param executor  runs the senders and receivers.
         * @param registrar registers the peers, with clients that the test's tear-down closes.
         */
        FloodAndHold(final ExecutorService executor, final Registrar registrar)
        {
            this.executor = executor;
            this.registrar = registrar;
        }

        private LineClient register(final String name, final int receiveBufferBytes) throws IOException
        {
            return registrar.register(name, receiveBufferBytes);
        }

        FloodAndHold start() throws Exception
        {
            for (int i = 0; i < FLOOD_PAIRS; i++)
            {
                final LineClient sender = register("s-" + i, 0);
                final LineClient receiver = register("r-" + i, 0);
                final AtomicLong maxEchoed = new AtomicLong(-1);
                final AtomicLong received = new AtomicLong();
                final AtomicBoolean ended = new AtomicBoolean();
                echoed.add(maxEchoed);
                receivers.add(executor.submit(() -> readGapless(receiver, "from " + sender.name() + ": ", received)));
                executor.submit(() ->
                {
                    String line;
                    while (null != (line = sender.readLineOrEof(Duration.ofSeconds(60))))
                    {
                        final long seq = Long.parseLong(line.substring(("from " + sender.name() + ": ").length()));
                        assertEquals(maxEchoed.get() + 1, seq, sender.name() + " echo");
                        maxEchoed.set(seq);
                    }
                    ended.set(true); // the broker closed the connection
                    return null;
                });
                senders.add(executor.submit(() ->
                {
                    long seq = 0;
                    try
                    {
                        while (!Thread.currentThread().isInterrupted())
                        {
                            // Flow control: at most WINDOW messages ahead of the slower of receiver and echo, so
                            // neither is ever a slow consumer however the two cores are shared.
                            while (seq - Math.min(received.get(), maxEchoed.get() + 1) > WINDOW)
                            {
                                if (ended.get())
                                {
                                    return seq;
                                }
                                LockSupport.parkNanos(20_000);
                            }
                            final StringBuilder batch = new StringBuilder(64 * 24);
                            for (int k = 0; k < 64; k++)
                            {
                                batch.append(receiver.name()).append(", ").append(sender.name()).append(": ")
                                    .append(seq++).append('\n');
                            }
                            sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                    catch (final IOException closedByTheBroker)
                    {
                        // the broker is gone; expected
                    }
                    return seq;
                }));
            }
            heldSender = register("held-s", 0);
            heldReceiver = register("held-r", 4096);
            for (final AtomicLong maxEchoed : echoed)
            {
                CampaignSupport.awaitCondition("the flood to get going", Duration.ofSeconds(30),
                    () -> maxEchoed.get() > 2 * WINDOW);
            }
            return this;
        }

        /** Sends the held lines and proves with a self-probe that the broker has read and routed every one. */
        void holdAndProve() throws IOException
        {
            final StringBuilder sb = new StringBuilder();
            for (int k = 0; k < HELD; k++)
            {
                sb.append("held-r: held ").append(k).append('\n');
            }
            sb.append("held-s: all sent\n");
            heldSender.sendRaw(sb.toString().getBytes(StandardCharsets.US_ASCII));
            heldSender.expectLine("from held-s: all sent");
        }

        List<String> readHeldUntilClosed() throws IOException
        {
            return heldReceiver.awaitClosed(Duration.ofSeconds(30));
        }

        void checkHeld(final List<String> held)
        {
            assertEquals(HELD, held.size(), "held-r lines before the close; last: " +
                (held.isEmpty() ? "none" : held.get(held.size() - 1)));
            for (int k = 0; k < HELD; k++)
            {
                assertEquals("from held-s: held " + k, held.get(k));
            }
        }

        void checkFloodPairs() throws Exception
        {
            for (int i = 0; i < FLOOD_PAIRS; i++)
            {
                final long sent = CampaignSupport.join(senders.get(i), Duration.ofSeconds(30), "s-" + i);
                final long[] got = CampaignSupport.join(receivers.get(i), Duration.ofSeconds(30), "r-" + i);
                final long routed = echoed.get(i).get();
                System.out.println("ShutdownUnderLoad: s-" + i + " sent " + sent + ", r-" + i + " got 0.." +
                    (got[0] - 1) + " gapless, s-" + i + " saw echoes to " + routed);
                assertTrue(got[0] > routed, "r-" + i + " got " + got[0] + " messages but its sender saw " + routed +
                    " routed: messages the broker had routed were not delivered");
                assertTrue(got[0] <= sent, "r-" + i + " got more than was sent");
            }
        }

        /** Reads until the close; every line must be the next sequence number. @return {count}. */
        private static long[] readGapless(final LineClient receiver, final String prefix, final AtomicLong received)
            throws IOException
        {
            long expected = 0;
            String line;
            while (null != (line = receiver.readLineOrEof(Duration.ofSeconds(60))))
            {
                if (!line.equals(prefix + expected))
                {
                    fail(receiver.name() + " expected " + prefix + expected + " but got " + line);
                }
                expected++;
                received.lazySet(expected);
            }
            return new long[]{ expected };
        }
    }
}
