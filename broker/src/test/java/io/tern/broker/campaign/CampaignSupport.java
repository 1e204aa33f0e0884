/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.BrokerTestSupport;
import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the campaign adds to {@link BrokerTestSupport}: the {@link #CLIENT_TIMEOUT} of 20 s for its clients and test
 * threads, and the broker-health checks every campaign test ends with: no internal errors (checked whenever the
 * in-process broker is closed, the tear-down included), the same broker threads as at start. Tests that run the
 * broker as its own process set {@code address} to the process's and use the clients, registering and test threads.
 */
abstract class CampaignSupport extends BrokerTestSupport
{
    /** The broker's own threads, by the names the README gives them. */
    static final Pattern BROKER_THREAD = Pattern.compile("acceptor|broker|reader-\\d+|writer-\\d+");

    /**
     * The default timeout of the campaign's clients, for connecting and for every wait not given one of its own.
     * Generous: two cores shared with the broker, the fuzzers and other builds.
     */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

    /** Broker threads by name right after start; compared at the end of every test. */
    protected TreeMap<String, Integer> threadsAtStart;

    CampaignSupport()
    {
        super(CLIENT_TIMEOUT);
    }

    @Override
    protected Broker startBroker(final BrokerConfig config) throws IOException
    {
        super.startBroker(config);
        threadsAtStart = brokerThreads();
        return broker;
    }

    @Override
    protected void closeBroker()
    {
        final long errors = null == broker ? 0 : broker.internalErrors();
        super.closeBroker();
        assertEquals(0, errors, "broker internal errors (see the log for 'agent error' or 'broker failed')");
    }

    /** Live threads named like the broker's, counted by name (e.g. {@code {acceptor=1, broker=1, ...}}). */
    static TreeMap<String, Integer> brokerThreads()
    {
        final TreeMap<String, Integer> threads = new TreeMap<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.isAlive() && BROKER_THREAD.matcher(thread.getName()).matches())
            {
                threads.merge(thread.getName(), 1, Integer::sum);
            }
        }
        return threads;
    }

    /** Asserts the broker is healthy: same threads as at start and no internal errors. */
    protected void assertBrokerHealthy(final String context)
    {
        assertEquals(threadsAtStart, brokerThreads(), context + ": broker threads changed");
        assertEquals(0, broker.internalErrors(), context + ": broker internal errors");
    }

    /** @return heap used after full GCs, in bytes (this JVM: the in-process broker plus the test). */
    static long usedHeapAfterGc()
    {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    // ---- clients that never read: peers deaf-0, deaf-1, ... flooded by a sender until the broker cuts them --------

    /**
     * Reads {@code sender}'s replies on a test thread until its own {@code "sender: done"} comes back; every other reply
     * must be {@code error: no peer 'deaf-N'}, for a non-reader already cut.
     *
     * @return the number of those errors.
     */
    protected Future<Integer> readNoPeerErrorsUntilDone(final LineClient sender)
    {
        return executor.submit(() ->
        {
            int errors = 0;
            while (true)
            {
                final String line = sender.readLine(Duration.ofSeconds(60));
                if (line.equals("from sender: done"))
                {
                    return errors;
                }
                assertTrue(line.matches("error: no peer 'deaf-\\d+'"), "sender got " + line);
                errors++;
            }
        });
    }

    /**
     * Sends a line of a kilobyte to each of {@code deaf-0} to {@code deaf-(nonReaders - 1)}, again and again, until the
     * broker has made {@code slowConsumerCuts} slow-consumer disconnects; fails after 60 s.
     */
    protected void floodNonReadersUntilCut(final LineClient sender, final int nonReaders, final long slowConsumerCuts)
        throws IOException
    {
        final String kilobyte = "x".repeat(1000);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (broker.slowConsumerDisconnects() < slowConsumerCuts)
        {
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < nonReaders; i++)
            {
                sb.append("deaf-").append(i).append(": ").append(kilobyte).append('\n');
            }
            sender.sendRaw(sb.toString().getBytes(StandardCharsets.US_ASCII));
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("only " + broker.slowConsumerDisconnects() + " slow-consumer cuts");
            }
        }
    }

    /** Each non-reader is closed, having been sent nothing but the sender's lines and the slow-consumer error. */
    static void assertCutAsSlowConsumers(final List<LineClient> deaf) throws IOException
    {
        for (final LineClient client : deaf)
        {
            for (final String line : client.awaitClosed(Duration.ofSeconds(30)))
            {
                assertTrue(line.startsWith("from sender: xxx") || line.equals("error: slow consumer"), line);
            }
        }
    }

    /** Connects a campaign client (untracked), with the {@link #CLIENT_TIMEOUT} as its default timeout. */
    static LineClient connectClient(final InetSocketAddress address) throws IOException
    {
        return connectClient(address, 0);
    }

    /**
     * Connects a campaign client (untracked), with the {@link #CLIENT_TIMEOUT} as its default timeout.
     *
     * @param address            the address the broker actually bound.
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @return a connected client that has sent nothing.
     */
    static LineClient connectClient(final InetSocketAddress address, final int receiveBufferBytes) throws IOException
    {
        return LineClient.connect(address, receiveBufferBytes, CLIENT_TIMEOUT);
    }
}
