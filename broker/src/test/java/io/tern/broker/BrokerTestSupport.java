/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;

import io.tern.transport.TestCertificates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The base of the broker's black-box tests, in this package and in {@code campaign}: a broker on an ephemeral
 * loopback port, clients and test threads that are closed and stopped after each test, the register / probe idioms,
 * and waiting with a deadline (never a sleep as synchronisation).
 * <p>
 * The probe idiom replaces "wait and see that nothing else arrives": to show that nothing more was sent to a peer, a
 * prober sends it a fresh, unique line, and the very next line the peer reads must be that one. Because the broker
 * handles a connection's lines in order and its outbound queue is FIFO, anything routed to the peer before the probe
 * would be read first.
 * <p>
 * Called from the test's own thread, except {@link #track}, {@link #untrack} and the static helpers, which test
 * threads may call too.
 */
public abstract class BrokerTestSupport
{
    private static final AtomicLong PROBES = new AtomicLong();

    /** The default timeout of this test's clients, and how long the tear-down waits for its test threads. */
    protected final Duration clientTimeout;
    private final List<LineClient> clients = new ArrayList<>();
    /** For test threads (writers, readers, a closer); stopped after each test, after the clients are closed. */
    protected final ExecutorService executor = newDaemonPool(getClass().getSimpleName());
    protected Broker broker;
    /** Where {@link #connect} and {@link #register} go: the broker started here, or one the test set (a process). */
    protected InetSocketAddress address;
    /** The TLS port of the broker {@link #startTlsBroker} started. */
    protected InetSocketAddress tlsAddress;

    /** With {@link LineClient#DEFAULT_TIMEOUT} for clients and for stopping test threads. */
    protected BrokerTestSupport()
    {
        this(LineClient.DEFAULT_TIMEOUT);
    }

    /**
     * @param clientTimeout the default timeout of this test's clients (connecting, reading) and how long the
     *                      tear-down waits for its test threads to stop.
     */
    protected BrokerTestSupport(final Duration clientTimeout)
    {
        this.clientTimeout = clientTimeout;
    }

    /** Starts a broker with default settings on an ephemeral loopback port. */
    protected Broker startBroker() throws IOException
    {
        return startBroker(new BrokerConfig());
    }

    /** Starts a broker with these settings on an ephemeral loopback port, closing any broker already started. */
    protected Broker startBroker(final BrokerConfig config) throws IOException
    {
        closeBroker();
        broker = Broker.launch(config.port(0));
        address = broker.localAddress();
        return broker;
    }

    /**
     * Starts a broker with these settings and a TLS port too, both on ephemeral loopback ports, serving the server
     * certificate of {@code certs} (PEM); sets {@link #tlsAddress}.
     */
    protected Broker startTlsBroker(final BrokerConfig config, final TestCertificates certs) throws IOException
    {
        startBroker(config.set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_CERT, certs.serverCert)
            .set(Settings.TLS_KEY, certs.serverKey));
        tlsAddress = broker.tlsAddress();
        assertNotNull(tlsAddress, "no TLS port");
        return broker;
    }

    /** Closes the broker now (if the test has not), and stops the tear-down from closing it again. */
    protected void closeBroker()
    {
        final Broker toClose = broker;
        broker = null;
        if (null != toClose)
        {
            toClose.close();
        }
    }

    /** Tells the tear-down that the test closed the broker itself. */
    protected void brokerClosedByTest()
    {
        broker = null;
    }

    @AfterEach
    void closeClientsThenBroker() throws InterruptedException
    {
        // Clients first: that unblocks test threads reading from them, and leaves the broker no output to flush.
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
                // Closing to clean up after the test; its outcome is already decided.
            }
        }
        executor.shutdownNow();
        final boolean stopped = executor.awaitTermination(clientTimeout.toMillis(), TimeUnit.MILLISECONDS);
        closeBroker();
        assertTrue(stopped, "test threads did not stop");
    }

    protected LineClient connect() throws IOException
    {
        return connect(0);
    }

    /**
     * Connects a client that the tear-down closes, with this test's {@link #clientTimeout}.
     *
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @return a connected client that has sent nothing.
     */
    protected LineClient connect(final int receiveBufferBytes) throws IOException
    {
        return track(LineClient.connect(address, receiveBufferBytes, clientTimeout));
    }

    /** Has the tear-down close {@code client} (one connected by other means, e.g. to a broker process). */
    protected LineClient track(final LineClient client)
    {
        synchronized (clients)
        {
            clients.add(client);
        }
        return client;
    }

    /** For a client the test has closed itself, so that the tear-down does not hold on to it. */
    protected void untrack(final LineClient client)
    {
        synchronized (clients)
        {
            clients.remove(client);
        }
    }

    /**
     * Connects a TLS client to {@link #tlsAddress} that the tear-down closes, with this test's {@link #clientTimeout}.
     *
     * @param receiveBufferBytes SO_RCVBUF, or 0 for the system default.
     * @return a client that has finished its handshake and sent nothing.
     */
    protected LineClient connectTls(final SSLContext context, final int receiveBufferBytes) throws IOException
    {
        return track(LineClient.connectTls(tlsAddress, context, receiveBufferBytes, clientTimeout));
    }

    /** Connects over TLS, registers {@code name} and confirms the registration with a self-probe. */
    protected LineClient registerTls(final String name, final SSLContext context, final int receiveBufferBytes)
        throws IOException
    {
        final LineClient client = connectTls(context, receiveBufferBytes).name(name);
        client.send(name);
        assertNextLineIsProbe(client, client);
        return client;
    }

    /** Connects, registers {@code name} and confirms the registration with a self-probe. */
    protected LineClient register(final String name) throws IOException
    {
        return register(name, 0);
    }

    protected LineClient register(final String name, final int receiveBufferBytes) throws IOException
    {
        return registerAs(name.getBytes(StandardCharsets.UTF_8), name, receiveBufferBytes);
    }

    /**
     * Connects and sends {@code firstLine} (the raw name line, without {@code \n}), then confirms with a self-probe
     * that the broker registered the peer as {@code effectiveName} (e.g. the trimmed name).
     */
    protected LineClient registerAs(final byte[] firstLine, final String effectiveName, final int receiveBufferBytes)
        throws IOException
    {
        final LineClient client = connect(receiveBufferBytes).name(effectiveName);
        client.sendRaw(concat(firstLine, new byte[]{ '\n' }));
        assertNextLineIsProbe(client, client);
        return client;
    }

    /**
     * Registers {@code name}, retrying while the broker still holds it for a connection that has just gone (the
     * README's rule 3 allows {@code name '<name>' is taken} until the broker has noticed the close).
     *
     * @return the registered client, confirmed by a self-probe as the first line it received.
     */
    protected LineClient registerRetrying(final String name, final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final String taken = "error: name '" + name + "' is taken";
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
            assertEquals(taken, first, name + ": first line after registering (attempt " + attempts + ")");
            client.awaitClosed();
            client.close();
            untrack(client);
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("name '" + name + "' still taken after " + attempts + " attempts in " + timeout.toMillis() +
                    " ms: the broker did not release it");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // back off a little before the next attempt
        }
    }

    /**
     * Shows that nothing else is queued for {@code receiver}: {@code prober} sends it a unique line, which must be
     * the very next line it reads.
     */
    public static void assertNextLineIsProbe(final LineClient receiver, final LineClient prober) throws IOException
    {
        final String probe = nextProbe();
        prober.send(receiver.name() + ": " + probe);
        receiver.expectLine("from " + prober.name() + ": " + probe);
    }

    /** Reads the next {@code count} lines. */
    protected static List<String> readLines(final LineClient client, final int count) throws IOException
    {
        final List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            lines.add(client.readLine());
        }
        return lines;
    }

    /** For lines whose relative order the issue does not fix (e.g. several errors for one line). */
    protected static void assertSameLinesInAnyOrder(final List<String> expected, final List<String> actual)
    {
        final List<String> sortedExpected = new ArrayList<>(expected);
        final List<String> sortedActual = new ArrayList<>(actual);
        Collections.sort(sortedExpected);
        Collections.sort(sortedActual);
        assertEquals(sortedExpected, sortedActual, "lines in any order; received in order: " + actual);
    }

    public static String nextProbe()
    {
        return "probe-" + PROBES.incrementAndGet();
    }

    protected static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] result = new byte[length];
        int offset = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, result, offset, part.length);
            offset += part.length;
        }
        return result;
    }

    /** Polls {@code condition} until it holds, failing the test if the deadline passes first. */
    public static void awaitCondition(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Waits for a background task, rethrowing its failure (an assertion error stays an assertion error). */
    public static <T> T join(final Future<T> future, final Duration timeout, final String what) throws Exception
    {
        try
        {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            return fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof Error)
            {
                throw (Error)cause;
            }
            if (cause instanceof Exception)
            {
                throw (Exception)cause;
            }
            throw new AssertionError(what + " failed", cause);
        }
    }

    /**
     * A cached pool of daemon threads named {@code namePrefix-1}, {@code namePrefix-2}, ...: easy to tell from the
     * broker's own threads in a thread dump, and one still blocked when a test gives up does not keep the JVM alive.
     */
    private static ExecutorService newDaemonPool(final String namePrefix)
    {
        final AtomicInteger threadCount = new AtomicInteger();
        return Executors.newCachedThreadPool(task ->
        {
            final Thread thread = new Thread(task, namePrefix + "-" + threadCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }
}
