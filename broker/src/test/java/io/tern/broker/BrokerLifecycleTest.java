/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Launch and graceful shutdown: {@code close()} stops accepting, routes everything already read, flushes outbound
 * rings within flush-timeout-ms, then closes every connection.
 * <p>
 * "Already read" means read by the broker from a socket. Bytes still in the broker's kernel receive buffer when
 * {@code close()} begins are not promised to anyone, so the deterministic test first makes sure the broker has read
 * (and routed) everything: the sender ends with a probe to itself and waits for it to come back.
 */
class BrokerLifecycleTest extends BrokerTestSupport
{
    private static final int LARGE_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
    private static final int MAX_QUEUED_FOR_ALL_BYTES = 8 * 1024 * 1024;
    private static final String PADDING = "p".repeat(300);

    @Test
    @Timeout(30)
    void shouldListenOnLoopbackAtTheEphemeralPortItReports() throws Exception
    {
        startBroker();

        assertTrue(address.getAddress().isLoopbackAddress(), address.toString());
        assertTrue(address.getPort() > 0 && address.getPort() <= 65535, address.toString());
        final LineClient alice = register("alice");
        assertNextLineIsProbe(alice, alice);
    }

    @Test
    @Timeout(30)
    void shouldRunTwoBrokersSideBySideOnDifferentEphemeralPorts() throws Exception
    {
        startBroker();
        try (Broker other = Broker.launch(new BrokerConfig().port(0)))
        {
            final InetSocketAddress otherAddress = other.localAddress();
            assertFalse(otherAddress.equals(address));
            try (LineClient there = LineClient.connect(otherAddress).name("alice"))
            {
                final LineClient here = register("alice"); // names are per broker
                there.send("alice");
                there.send("alice: there");
                there.expectLine("from alice: there");
                assertNextLineIsProbe(here, here);
            }
        }
    }

    @ParameterizedTest(name = "threading={0}")
    @ValueSource(strings = { "dedicated", "shared" })
    @Timeout(60)
    void shouldDeliverEverythingAlreadyReadBeforeClosingOnShutdown(final String threading) throws Exception
    {
        // ~6.5 MB: more than the kernel's socket buffers can take (tcp_wmem max is 4 MiB by default), so when
        // close() begins most of it is still in the receiver's outbound ring, which is big enough for all of it.
        final int messages = 20_000;
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(MAX_QUEUED_FOR_ALL_BYTES).flushTimeoutMs(20_000)
            .threading(threading));
        final LineClient receiver = register("receiver", 4096); // does not read until close() has begun
        final LineClient sender = register("sender");

        sendNumberedLines(sender, "receiver", messages);
        // The sender's lines are handled in order: once its probe is back, the broker has read and routed them all.
        assertNextLineIsProbe(sender, sender);

        final Broker closing = broker;
        final Future<Long> closed = closeInBackground();
        awaitRefusingConnections(Duration.ofSeconds(10)); // close() has begun: it stops accepting first

        for (int i = 0; i < messages; i++)
        {
            receiver.expectLine("from sender: " + numberedText(i));
        }
        assertEquals(List.of(), receiver.awaitClosed(), "the receiver is closed after its last message");
        assertEquals(List.of(), sender.awaitClosed(), "the sender is closed and gets nothing more");
        final long closeMs = join(closed, Duration.ofSeconds(30), "broker.close()");
        assertEquals(0, closing.slowConsumerDisconnects());
        System.out.printf("shutdown flushed %,d messages; close() took %,d ms%n", messages, closeMs);
    }

    @Test
    @Timeout(60)
    void shouldDeliverAGaplessPrefixWhenClosedWhileLinesAreStillArriving() throws Exception
    {
        final int messages = 20_000;
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(LARGE_MAX_QUEUED_BYTES).flushTimeoutMs(20_000));
        final LineClient receiver = register("receiver");
        final LineClient sender = register("sender");
        final CountDownLatch someArrived = new CountDownLatch(1000);

        final Future<Void> writer = executor.submit(() ->
        {
            try
            {
                for (int i = 0; i < messages; i += 500)
                {
                    final StringBuilder batch = new StringBuilder();
                    for (int j = i; j < i + 500; j++)
                    {
                        batch.append("receiver: m ").append(j).append('\n');
                    }
                    sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
                }
                sender.send("sender: sentinel");
            }
            catch (final IOException expected)
            {
                // The broker closed the connection under us: the rest was never sent.
            }
            return null;
        });
        final Future<List<String>> received = executor.submit(() ->
        {
            final List<String> lines = new ArrayList<>();
            for (int i = 0; i < 1000; i++)
            {
                lines.add(receiver.readLine());
                someArrived.countDown();
            }
            lines.addAll(receiver.awaitClosed(Duration.ofSeconds(30)));
            return lines;
        });

        assertTrue(someArrived.await(30, TimeUnit.SECONDS), "the first 1000 messages did not arrive");
        final Future<Long> closing = closeInBackground();

        final List<String> lines = join(received, Duration.ofSeconds(40), "the receiver");
        final List<String> toSender = sender.awaitClosed(Duration.ofSeconds(30));
        join(writer, Duration.ofSeconds(30), "the writer");
        join(closing, Duration.ofSeconds(30), "broker.close()");

        for (int i = 0; i < lines.size(); i++)
        {
            assertEquals("from sender: m " + i, lines.get(i), "received messages must be a gapless prefix");
        }
        assertTrue(toSender.isEmpty() || toSender.equals(List.of("from sender: sentinel")), toSender.toString());
        if (!toSender.isEmpty())
        {
            // The broker read the sentinel, so it had read every line before it: all of them must be delivered.
            assertEquals(messages, lines.size(), "the sentinel was routed, so every earlier line must be delivered");
        }
        System.out.printf("closed mid-stream: %,d of %,d delivered, sentinel %s%n", lines.size(), messages,
            toSender.isEmpty() ? "not routed" : "routed");
    }

    @Test
    @Timeout(30)
    void shouldGiveUpFlushingAPeerThatNeverReadsAfterTheFlushTimeout() throws Exception
    {
        final long flushTimeoutMs = 500;
        final int messages = 20_000; // ~6.5 MB, as above: most of it still in the ring at close()
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(MAX_QUEUED_FOR_ALL_BYTES).flushTimeoutMs(flushTimeoutMs));
        final LineClient stuck = register("stuck", 4096); // never reads again until the broker is closed
        final LineClient sender = register("sender");
        sendNumberedLines(sender, "stuck", messages);
        assertNextLineIsProbe(sender, sender);

        final long startNs = System.nanoTime();
        closeBroker();
        final long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        assertTrue(closeMs < flushTimeoutMs + 5_000, "close() took " + closeMs + " ms with flush-timeout-ms=" +
            flushTimeoutMs);
        assertEquals(List.of(), sender.awaitClosed());
        // Whatever made it into the socket, in order and whole, then the close.
        final List<String> got = stuck.awaitClosed();
        assertTrue(got.size() < messages, "a peer that never read cannot have been sent everything");
        for (int i = 0; i < got.size(); i++)
        {
            assertEquals("from sender: " + numberedText(i), got.get(i), "line " + i + " of the stuck peer");
        }
        System.out.printf("close() with a stuck peer took %,d ms (flush-timeout-ms=%d); it had been sent %,d of" +
            " %,d lines%n", closeMs, flushTimeoutMs, got.size(), messages);
    }

    @Test
    @Timeout(30)
    void shouldCloseIdleAndUnnamedConnectionsOnShutdown() throws Exception
    {
        startBroker();
        final LineClient named = register("named");
        final LineClient unnamed = connect();
        final LineClient halfNamed = connect();
        halfNamed.sendRaw("half".getBytes(StandardCharsets.US_ASCII)); // a name without its '\n'

        closeBroker();

        assertEquals(List.of(), named.awaitClosed());
        assertEquals(List.of(), unnamed.awaitClosed());
        // The broker closed it mid-name; an error line for that is acceptable, anything else is not.
        for (final String line : halfNamed.awaitClosed())
        {
            assertTrue(line.startsWith("error: "), line);
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseConnectionsAfterClose() throws Exception
    {
        startBroker();
        final InetSocketAddress closedAddress = address;
        final Broker closed = broker;
        closeBroker();

        assertThrows(ConnectException.class, () ->
        {
            try (Socket socket = new Socket())
            {
                socket.connect(closedAddress, 5_000);
            }
        });
        closed.close(); // a second close is harmless
    }

    private static String numberedText(final int i)
    {
        return "shutdown " + i + " " + PADDING;
    }

    /** Sends {@code count} numbered lines to {@code destination}, 500 to a write. */
    private static void sendNumberedLines(final LineClient sender, final String destination, final int count)
        throws IOException
    {
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            batch.append(destination).append(": ").append(numberedText(i)).append('\n');
            if ((i + 1) % 500 == 0 || i == count - 1)
            {
                sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
                batch.setLength(0);
            }
        }
    }

    /** Starts {@code broker.close()} on another thread. @return the time close() took, in ms. */
    private Future<Long> closeInBackground()
    {
        final Broker toClose = broker;
        brokerClosedByTest();
        return executor.submit(() ->
        {
            final long startNs = System.nanoTime();
            toClose.close();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        });
    }

    /** Polls, with fresh connections a few ms apart, until the broker's listening port refuses them. */
    private void awaitRefusingConnections(final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(address, 1_000);
            }
            catch (final ConnectException refused)
            {
                return;
            }
            catch (final SocketTimeoutException notRefusedYet)
            {
                // A full backlog: still listening.
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("the broker still accepts connections " + timeout.toMillis() + " ms after close() began");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
