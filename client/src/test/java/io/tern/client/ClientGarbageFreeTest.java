/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.broker.BrokerConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The garbage-free path allocates nothing per message on either client's I/O thread: a sender's thread draining the
 * send ring into the socket, a receiver's thread decoding and calling a flyweight handler. Measured as the threads'
 * allocated bytes (ThreadMXBean) over many messages after a warm-up, as the broker's BrokerGarbageFreeTest does.
 */
class ClientGarbageFreeTest extends ClientTestSupport
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final int WARM_UP = 50_000;
    private static final int MEASURED = 100_000;

    @Test
    @Timeout(60)
    void shouldAllocateNothingPerMessageOnEitherIoThread() throws Exception
    {
        startBroker(new BrokerConfig().port(0));
        final AtomicLong received = new AtomicLong();
        final AtomicLong textBytes = new AtomicLong();
        final TernClient bob = connect(new TernClientConfig().port(port()).name("bob").messageHandler(message ->
        {
            textBytes.lazySet(textBytes.get() + message.textLength());
            received.lazySet(received.get() + 1);
        }));
        final TernClient alice = connect(new TernClientConfig().port(port()).name("alice"));
        final Destinations toBob = Destinations.of("bob");
        final UnsafeBuffer text = new UnsafeBuffer(new byte[64]);
        text.setMemory(0, 64, (byte)'m');

        send(alice, toBob, text, WARM_UP);
        await(() -> received.get() == WARM_UP, "warm-up delivered");

        final long aliceBefore = THREADS.getThreadAllocatedBytes(alice.ioThread().getId());
        final long bobBefore = THREADS.getThreadAllocatedBytes(bob.ioThread().getId());
        send(alice, toBob, text, MEASURED);
        await(() -> received.get() == WARM_UP + MEASURED, "measured messages delivered");
        final long aliceAllocated = THREADS.getThreadAllocatedBytes(alice.ioThread().getId()) - aliceBefore;
        final long bobAllocated = THREADS.getThreadAllocatedBytes(bob.ioThread().getId()) - bobBefore;

        assertEquals(64L * (WARM_UP + MEASURED), textBytes.get());
        assertEquals(0, aliceAllocated, "bytes allocated by the sender's I/O thread over " + MEASURED + " messages");
        assertEquals(0, bobAllocated, "bytes allocated by the receiver's I/O thread over " + MEASURED + " messages");
    }

    private static void send(final TernClient client, final Destinations to, final UnsafeBuffer text, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            long result;
            while ((result = client.send(to, text, 0, 64)) == TernClient.BACK_PRESSURED)
            {
                Thread.onSpinWait();
            }
            assertTrue(result > 0, "send refused: " + result);
        }
    }
}
