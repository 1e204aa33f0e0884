/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.broker.BrokerConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many clients on one {@link TernEventLoop}: its own thread, or driven by the caller ({@link TernEventLoop#invoker}),
 * and the sending thread writing through to the socket when no one else writes.
 */
class TernEventLoopTest extends ClientTestSupport
{
    private static final int CLIENTS = 200;

    @Test
    @Timeout(60)
    void shouldRunManyClientsOnOneThreadInOrder() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final TernEventLoop loop = track(TernEventLoop.start("shared-loop", CLIENTS));
        final AtomicLong[] lastSeen = new AtomicLong[CLIENTS];
        final AtomicInteger outOfOrder = new AtomicInteger();
        final Set<String> handlerThreads = ConcurrentHashMap.newKeySet();
        final TernClient[] clients = new TernClient[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
        {
            final AtomicLong seen = lastSeen[i] = new AtomicLong();
            clients[i] = TernClient.start(new TernClientConfig().port(port()).name("c" + i).onMessage((from, text) ->
            {
                handlerThreads.add(Thread.currentThread().getName());
                final long n = Long.parseLong(text);
                if (n != seen.get() + 1)
                {
                    outOfOrder.incrementAndGet();
                }
                seen.set(n);
            }), loop);
        }
        for (final TernClient client : clients)
        {
            await(() -> client.state() == ConnectionState.CONNECTED, client.name() + " connected");
        }

        // Each client sends 100 numbered messages to the next one, from this thread.
        final int perClient = 100;
        for (int n = 1; n <= perClient; n++)
        {
            for (int i = 0; i < CLIENTS; i++)
            {
                assertTrue(clients[i].send("c" + ((i + 1) % CLIENTS), Integer.toString(n)) > 0);
            }
        }
        for (int i = 0; i < CLIENTS; i++)
        {
            final AtomicLong seen = lastSeen[i];
            await(() -> seen.get() == perClient, "c" + i + " got every message");
        }
        assertEquals(0, outOfOrder.get());
        assertEquals(Set.of("shared-loop"), handlerThreads);
        assertThrows(IllegalStateException.class,
            () -> TernClient.start(new TernClientConfig().port(port()).name("one-too-many"), loop));

        // Closing the loop closes every client on it.
        loop.close();
        for (final TernClient client : clients)
        {
            assertEquals(ConnectionState.CLOSED, client.state());
            assertEquals(TernClient.CLOSED, client.send("c0", "late"));
        }
    }

    @Test
    @Timeout(60)
    void shouldConnectReceiveAndCloseOnlyWhenTheCallerPolls() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final TernEventLoop loop = TernEventLoop.invoker(4);
        final Recorded alice = new Recorded();
        final Recorded bob = new Recorded();
        final TernClient a = TernClient.start(config("alice", alice), loop);
        final TernClient b = TernClient.start(config("bob", bob), loop);
        assertThrows(IllegalStateException.class, () -> TernClient.connect(config("carol", new Recorded()), loop));
        assertEquals(ConnectionState.CONNECTING, a.state());
        pollUntil(loop, () -> a.state() == ConnectionState.CONNECTED && b.state() == ConnectionState.CONNECTED);

        assertTrue(a.send("bob", "hi") > 0);
        pollUntil(loop, () -> !bob.messages.isEmpty());
        assertEquals("alice: hi", bob.nextMessage());
        final java.util.concurrent.CompletableFuture<Throwable> secondPoller = new java.util.concurrent.CompletableFuture<>();
        final Thread other = new Thread(() ->
        {
            try
            {
                loop.poll(0);
                secondPoller.complete(null);
            }
            catch (final Throwable t)
            {
                secondPoller.complete(t);
            }
        });
        other.start();
        assertTrue(secondPoller.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
            instanceof IllegalStateException, "only one thread may poll");

        loop.close();
        assertEquals(ConnectionState.CLOSED, a.state());
        assertEquals(ConnectionState.CLOSED, b.state());
    }

    /**
     * The sending thread writes the line itself: with an invoker loop that no one polls after the registration, a
     * send still reaches its receiver (on a loop of its own). Without the write through it would wait in the send
     * buffer for a poll that never comes.
     */
    @Test
    @Timeout(60)
    void shouldWriteThroughOnTheSendingThread() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded bob = new Recorded();
        connect(config("bob", bob));
        final TernEventLoop loop = TernEventLoop.invoker(1);
        final TernClient alice = TernClient.start(config("alice", new Recorded()), loop);
        pollUntil(loop, () -> alice.state() == ConnectionState.CONNECTED);

        final Destinations toBob = Destinations.of("bob");
        final UnsafeBuffer text = new UnsafeBuffer("written by the sender".getBytes(StandardCharsets.US_ASCII));
        assertTrue(alice.send(toBob, text, 0, text.capacity()) > 0);
        assertEquals("alice: written by the sender", bob.nextMessage());

        // queue() alone does not write; writeQueued() does, on this thread.
        assertTrue(alice.queue(toBob, text, 0, 7) > 0);
        assertTrue(alice.queue(toBob, text, 0, 10) > 0);
        assertTrue(alice.writeQueued());
        assertEquals("alice: written", bob.nextMessage());
        assertEquals("alice: written by", bob.nextMessage());
        loop.close();
    }

    /**
     * Lines go round the send buffer (the ring) many times. A line the write buffer has no room for goes to the ring;
     * where it does not fit before the ring's end, it goes to its start behind a padding record. A drain that stopped
     * at that padding would leave the line there, with nothing to send it later. Each round fills the write buffer
     * (65 lines of 1,005 bytes in 64 KiB) and puts one line in the ring, so the ring's end comes at the start of a
     * drain, as when a drain keeps up with its sender.
     */
    @Test
    @Timeout(60)
    void shouldWritePastTheSendBuffersEnd() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded bob = new Recorded();
        connect(config("bob", bob));
        final TernEventLoop loop = TernEventLoop.invoker(1);
        final TernClient alice = TernClient.start(config("alice", new Recorded()).sendBufferBytes(64 * 1024), loop);
        pollUntil(loop, () -> alice.state() == ConnectionState.CONNECTED);

        final Destinations toBob = Destinations.of("bob");
        final byte[] bytes = new byte[999];
        final UnsafeBuffer text = new UnsafeBuffer(bytes);
        final int linesPerRound = 66;
        for (int round = 0; round < 80; round++) // the ring's 64 KiB hold 63 of the lines put in it
        {
            java.util.Arrays.fill(bytes, (byte)('a' + round % 26));
            for (int i = 0; i < linesPerRound; i++)
            {
                assertTrue(alice.queue(toBob, text, 0, text.capacity()) > 0, "round " + round + " line " + i);
            }
            alice.writeQueued();
            pollUntil(loop, () -> bob.messages.size() >= linesPerRound);
            final String expected = "alice: " + new String(bytes, StandardCharsets.US_ASCII);
            for (int i = 0; i < linesPerRound; i++)
            {
                assertEquals(expected, bob.nextMessage(), "round " + round + " line " + i);
            }
        }
        loop.close();
    }

    /**
     * The garbage-free send looks for control characters once, as it takes the text, and the reply the broker gives
     * for one is tied to its send whichever way the line went: through the send ring (queued before the client was
     * registered) or straight into the write buffer.
     */
    @Test
    @Timeout(60)
    void shouldTieAControlCharacterReplyToItsSendEitherWay() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded bob = new Recorded();
        connect(config("bob", bob));
        final TernEventLoop loop = TernEventLoop.invoker(1);
        final Recorded aliceGot = new Recorded();
        final TernClient alice = TernClient.start(config("alice", aliceGot), loop);
        final Destinations toBob = Destinations.of("bob");
        final UnsafeBuffer bell = new UnsafeBuffer("bell\u0007".getBytes(StandardCharsets.US_ASCII));
        // A '\r' at the end goes with the line end at the broker: no control character, no reply, on either path.
        final byte[] fineBytes = "fine\r".getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer fine = new UnsafeBuffer(fineBytes);

        final long throughTheRing = alice.queue(toBob, bell, 0, bell.capacity()); // not yet registered
        assertTrue(alice.queue(toBob, fine, 0, fine.capacity()) > throughTheRing);
        pollUntil(loop, () -> alice.state() == ConnectionState.CONNECTED && aliceGot.errors.size() == 1);
        final long direct = alice.send(toBob, bell, 0, bell.capacity());
        assertTrue(alice.send(toBob, fineBytes, 0, fineBytes.length) > direct);
        final long last = alice.send(toBob, bell, 0, bell.capacity());
        pollUntil(loop, () -> aliceGot.errors.size() == 3);

        final ErrorRecord first = aliceGot.nextError();
        assertEquals(ErrorKind.CONTROL_CHARACTER, first.kind());
        assertEquals(throughTheRing, first.sendId());
        final ErrorRecord second = aliceGot.nextError();
        assertEquals(ErrorKind.CONTROL_CHARACTER, second.kind());
        assertEquals(direct, second.sendId());
        assertEquals(last, aliceGot.nextError().sendId());
        assertEquals("alice: fine", bob.nextMessage());
        assertEquals("alice: fine", bob.nextMessage());
        loop.close();
    }

    /**
     * A thread's line waiting in the send ring stays ahead of its next send, which finds the write buffer free: a
     * send goes straight to the write buffer only while the ring is empty. The first line is queued before the
     * client is registered (so into the ring); polling with no wait, the loop sees the registration's echo and leaves
     * the drain it asks for to the next poll, so the ring still holds the line when the second is sent.
     */
    @Test
    @Timeout(60)
    void shouldKeepALineInTheRingAheadOfALaterSend() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final Recorded bob = new Recorded();
        connect(config("bob", bob));
        final TernEventLoop loop = TernEventLoop.invoker(1);
        final TernClient alice = TernClient.start(config("alice", new Recorded()), loop);
        final Destinations toBob = Destinations.of("bob");
        final UnsafeBuffer one = new UnsafeBuffer("one".getBytes(StandardCharsets.US_ASCII));
        final UnsafeBuffer two = new UnsafeBuffer("two".getBytes(StandardCharsets.US_ASCII));
        assertTrue(alice.queue(toBob, one, 0, 3) > 0);
        final long deadlineNs = System.nanoTime() + WAIT.toNanos();
        while (alice.state() != ConnectionState.CONNECTED)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not connected within " + WAIT);
            loop.poll(0);
        }
        assertTrue(alice.send(toBob, two, 0, 3) > 0);
        assertEquals("alice: one", bob.nextMessage());
        assertEquals("alice: two", bob.nextMessage());
        loop.close();
    }

    private static void pollUntil(final TernEventLoop loop, final java.util.function.BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not within " + WAIT);
            loop.poll(10);
        }
    }
}
