/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;

import io.tern.broker.Await;
import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;
import io.tern.broker.TestThreads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared set-up for the campaign: an in-process broker on an ephemeral loopback port, clients and test threads
 * cleaned up after each test, the register / probe idioms (see {@code io.tern.broker.BrokerTestSupport}), and the
 * broker-health checks every campaign test ends with: no internal errors, the same broker threads as at start.
 */
abstract class CampaignSupport
{
    /** The broker's own threads, by the names the README gives them. */
    static final Pattern BROKER_THREAD = Pattern.compile("acceptor|broker|reader-\\d+|writer-\\d+");

    /**
     * The default timeout of the campaign's clients, for connecting and for every wait not given one of its own.
     * Generous: two cores shared with the broker, the fuzzers and other builds.
     */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

    private static final AtomicLong PROBES = new AtomicLong();

    private final List<LineClient> clients = new ArrayList<>();
    protected final ExecutorService executor = TestThreads.newCachedPool(getClass().getSimpleName());
    protected Broker broker;
    protected InetSocketAddress address;
    /** Broker threads by name right after start; compared at the end of every test. */
    protected TreeMap<String, Integer> threadsAtStart;

    protected Broker startBroker(final BrokerConfig config) throws IOException
    {
        broker = Broker.launch(config.port(0));
        address = broker.localAddress();
        threadsAtStart = brokerThreads();
        return broker;
    }

    @AfterEach
    void closeClientsThenBroker() throws InterruptedException
    {
        final List<LineClient> toClose;
        synchronized (clients)
        {
            toClose = new ArrayList<>(clients);
            clients.clear();
        }
        for (final LineClient client : toClose)
        {
            try
            {
                client.close();
            }
            catch (final IOException ignore)
            {
                // cleaning up; the outcome is decided
            }
        }
        executor.shutdownNow();
        final boolean stopped = executor.awaitTermination(20, TimeUnit.SECONDS);
        if (null != broker)
        {
            final long errors = broker.internalErrors();
            broker.close();
            broker = null;
            assertEquals(0, errors, "broker internal errors (see the log for 'agent error' or 'broker failed')");
        }
        assertTrue(stopped, "test threads did not stop");
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

    protected LineClient connect() throws IOException
    {
        return connect(0);
    }

    protected LineClient connect(final int receiveBufferBytes) throws IOException
    {
        return track(connectClient(address, receiveBufferBytes));
    }

    protected LineClient track(final LineClient client)
    {
        synchronized (clients)
        {
            clients.add(client);
        }
        return client;
    }

    protected void untrack(final LineClient client)
    {
        synchronized (clients)
        {
            clients.remove(client);
        }
    }

    /** Connects, registers {@code name} and confirms it with a self-probe. */
    protected LineClient register(final String name) throws IOException
    {
        return register(name, 0);
    }

    protected LineClient register(final String name, final int receiveBufferBytes) throws IOException
    {
        final LineClient client = connect(receiveBufferBytes).name(name);
        final String probe = nextProbe();
        client.send(name + "\n" + name + ": " + probe);
        client.expectLine("from " + name + ": " + probe);
        return client;
    }

    /**
     * Registers {@code name}, retrying while the broker still holds it for a connection that has just gone (README
     * rule 3 allows {@code is taken} until the broker has noticed the close).
     */
    protected LineClient registerRetrying(final String name, final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        int attempts = 0;
        while (true)
        {
            attempts++;
            final String probe = nextProbe();
            final LineClient client = connect().name(name);
            client.send(name + "\n" + name + ": " + probe);
            final String first = client.readLine();
            if (first.equals("from " + name + ": " + probe))
            {
                return client;
            }
            assertEquals("error: name '" + name + "' is taken", first, name + ": first line (attempt " + attempts +
                ")");
            client.awaitClosed();
            client.close();
            untrack(client);
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("name '" + name + "' still taken after " + attempts + " attempts in " + timeout.toMillis() +
                    " ms: the broker did not release it");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** {@code prober} sends {@code receiver} a unique line, which must be the very next line it reads. */
    protected static void assertNextLineIsProbe(final LineClient receiver, final LineClient prober) throws IOException
    {
        final String probe = nextProbe();
        prober.send(receiver.name() + ": " + probe);
        receiver.expectLine("from " + prober.name() + ": " + probe);
    }

    protected static String nextProbe()
    {
        return "probe-" + PROBES.incrementAndGet();
    }

    /** Polls {@code condition} until it holds, failing the test if the deadline passes first. */
    protected static void awaitCondition(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        Await.condition(what, timeout, condition);
    }

    /** Waits for a background task, rethrowing its failure (an assertion error stays an assertion error). */
    protected static <T> T join(final Future<T> future, final Duration timeout, final String what) throws Exception
    {
        return Await.join(future, timeout, what);
    }
}
