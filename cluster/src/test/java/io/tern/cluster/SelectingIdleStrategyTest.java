/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver's wait ends on a wake and on a datagram, and a socket that stays readable cannot make it spin. Waits here
 * are a minute long: a thread that is not woken does not finish within the test's deadline.
 */
class SelectingIdleStrategyTest
{
    private static final long MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

    @Test
    @Timeout(20)
    void shouldReturnFromItsWaitWhenWoken() throws Exception
    {
        try (SelectingIdleStrategy idle = new SelectingIdleStrategy(1, MINUTE_NS))
        {
            final AtomicBoolean work = new AtomicBoolean();
            final CountDownLatch done = new CountDownLatch(1);
            final Thread thread = idler(idle, work::get, done);
            awaitBlocked(thread);

            work.set(true);
            idle.wake();

            assertTrue(done.await(10, TimeUnit.SECONDS), "the idle thread was not woken from its wait");
        }
    }

    @Test
    @Timeout(20)
    void shouldReturnFromItsWaitWhenADatagramArrives() throws Exception
    {
        try (SelectingIdleStrategy idle = new SelectingIdleStrategy(1, MINUTE_NS);
            DatagramChannel receiver = loopbackReceiver();
            DatagramChannel sender = DatagramChannel.open())
        {
            idle.register(receiver, () -> { });
            final ByteBuffer buffer = ByteBuffer.allocate(64);
            final CountDownLatch done = new CountDownLatch(1);
            // The duty cycle reads the socket, as the driver does; it has work once a datagram came.
            final Thread thread = idler(idle, () -> readOne(receiver, buffer), done);
            awaitBlocked(thread);

            sender.send(ByteBuffer.wrap(new byte[]{1, 2, 3}), receiver.getLocalAddress());

            assertTrue(done.await(10, TimeUnit.SECONDS), "the datagram did not wake the idle thread");
        }
    }

    @Test
    @Timeout(20)
    void shouldNotSpinOnASocketNobodyReads() throws Exception
    {
        final long waitNs = TimeUnit.MILLISECONDS.toNanos(20);
        try (SelectingIdleStrategy idle = new SelectingIdleStrategy(0, waitNs);
            DatagramChannel unread = loopbackReceiver();
            DatagramChannel sender = DatagramChannel.open())
        {
            idle.register(unread, () -> { });
            sender.send(ByteBuffer.wrap(new byte[]{1}), unread.getLocalAddress());

            // Readable for ever: without the guard every select would return at once, hundreds of thousands a second.
            final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
            int idles = 0;
            while (System.nanoTime() - endNs < 0)
            {
                idle.idle(0);
                idles++;
            }

            // At most one select and one park per 20 ms (and the first call, which only says it is idle).
            assertTrue(idles <= 2 + 2 * (400 / 20), "idle calls in 400 ms: " + idles);
        }
    }

    @Test
    @Timeout(20)
    void shouldTellTheOwnerOfASocketThatArrivedWhileTheThreadWasBusy() throws Exception
    {
        try (SelectingIdleStrategy idle = new SelectingIdleStrategy(0, MINUTE_NS);
            DatagramChannel receiver = loopbackReceiver();
            DatagramChannel sender = DatagramChannel.open())
        {
            final AtomicInteger readable = new AtomicInteger();
            idle.register(receiver, readable::incrementAndGet);
            sender.send(ByteBuffer.wrap(new byte[]{1}), receiver.getLocalAddress());

            // Busy duty cycles never wait: only the select after each of them can say the socket is readable.
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (0 == readable.get())
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the owner never heard that its socket is readable");
                idle.idle(1);
            }
        }
    }

    @Test
    @Timeout(20)
    void shouldRunTheWorkHookAfterWorkOnly()
    {
        final AtomicInteger calls = new AtomicInteger();
        try (SelectingIdleStrategy idle = new SelectingIdleStrategy(10, 1).onWork(calls::incrementAndGet))
        {
            idle.idle(0);
            idle.idle(0);
            assertEquals(0, calls.get());

            idle.idle(3);
            assertEquals(1, calls.get());
        }
    }

    private interface DutyCycle
    {
        boolean didWork();
    }

    private static Thread idler(final SelectingIdleStrategy idle, final DutyCycle dutyCycle, final CountDownLatch done)
    {
        final Thread thread = new Thread(() ->
        {
            while (!dutyCycle.didWork())
            {
                idle.idle(0);
            }
            done.countDown();
        }, "idler");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** A non-blocking datagram socket on an ephemeral loopback port, as the driver's. */
    private static DatagramChannel loopbackReceiver() throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            channel.configureBlocking(false);
            return channel;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
    }

    private static boolean readOne(final DatagramChannel channel, final ByteBuffer buffer)
    {
        try
        {
            buffer.clear();
            return null != channel.receive(buffer);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Waits until the thread is blocked in its select (a native wait: RUNNABLE in epoll, so look at its stack). */
    private static void awaitBlocked(final Thread thread)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!inSelect(thread))
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the idle thread never waited: " + thread.getState());
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    private static boolean inSelect(final Thread thread)
    {
        for (final StackTraceElement frame : thread.getStackTrace())
        {
            if (frame.getMethodName().equals("select") || frame.getMethodName().startsWith("epollWait"))
            {
                return true;
            }
        }
        return false;
    }
}
