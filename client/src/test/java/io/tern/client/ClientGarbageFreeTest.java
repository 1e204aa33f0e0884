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
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The garbage-free path allocates nothing per message on the application's sending thread (claiming and copying into
 * the send ring) nor on either client's I/O thread: a sender's thread draining the send ring into the socket, a
 * receiver's thread decoding and calling a flyweight handler. Measured as the threads' allocated bytes (ThreadMXBean)
 * over 200,000 messages after a warm-up, as the broker's BrokerGarbageFreeTest does: 0 bytes per message (a one-off of
 * a few bytes has been seen under load: the bound is well under a byte a message).
 */
class ClientGarbageFreeTest extends ClientTestSupport
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final int WARM_UP = 50_000;
    private static final int MEASURED = 200_000;
    /**
     * Well under one byte per message, as BrokerGarbageFreeTest allows: any per-message allocation (16 bytes or more)
     * would blow it, while a one-off (the JDK's selector growing a queue once, a class loaded late) does not.
     */
    private static final long MAX_ALLOCATED_BYTES = 16 * 1024;

    @Test
    @Timeout(60)
    void shouldAllocateNothingPerMessageOnTheSendingThreadOrEitherIoThread() throws Exception
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
        final long senderBefore = THREADS.getCurrentThreadAllocatedBytes();
        send(alice, toBob, text, MEASURED);
        final long senderAllocated = THREADS.getCurrentThreadAllocatedBytes() - senderBefore;
        await(() -> received.get() == WARM_UP + MEASURED, "measured messages delivered");
        final long aliceAllocated = THREADS.getThreadAllocatedBytes(alice.ioThread().getId()) - aliceBefore;
        final long bobAllocated = THREADS.getThreadAllocatedBytes(bob.ioThread().getId()) - bobBefore;

        assertEquals(64L * (WARM_UP + MEASURED), textBytes.get());
        final String report = "allocated over " + MEASURED + " messages: sending thread " + senderAllocated +
            " bytes, sender's I/O thread " + aliceAllocated + " bytes, receiver's " + bobAllocated + " bytes";
        System.out.println(report);
        assertTrue(senderAllocated < MAX_ALLOCATED_BYTES, report);
        assertTrue(aliceAllocated < MAX_ALLOCATED_BYTES, report);
        assertTrue(bobAllocated < MAX_ALLOCATED_BYTES, report);
    }

    /** Allocates nothing itself, so that the calling thread's allocation is the client's send path alone. */
    private static void send(final TernClient client, final Destinations to, final UnsafeBuffer text, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            long result;
            while ((result = client.send(to, text, 0, 64)) == TernClient.BACK_PRESSURED)
            {
                Thread.onSpinWait();
            }
            if (result <= 0)
            {
                fail("send refused: " + result); // the message only on failure: no string per send
            }
        }
    }
}
