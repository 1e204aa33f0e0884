/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.BrokerTestSupport;
import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /** @return open file descriptors of this JVM (Linux), which holds both the broker and the test's clients. */
    static int openFileDescriptors()
    {
        final String[] fds = new File("/proc/self/fd").list();
        return null == fds ? -1 : fds.length;
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
