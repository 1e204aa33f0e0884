/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

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
 * The wake cuts a park short and the work hook runs after work only. Parks here are a minute long: a thread that is
 * not woken does not finish within the test's deadline.
 */
class WakeableIdleStrategyTest
{
    private static final long MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

    @Test
    @Timeout(20)
    void shouldReturnFromAParkWhenWoken() throws Exception
    {
        final WakeableIdleStrategy idle = new WakeableIdleStrategy(1, 1, MINUTE_NS, MINUTE_NS);
        final AtomicBoolean work = new AtomicBoolean();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread thread = new Thread(() ->
        {
            while (!work.get())
            {
                idle.idle(0);
            }
            done.countDown();
        }, "idler");
        thread.setDaemon(true);
        thread.start();
        awaitParked(thread);

        work.set(true);
        idle.wake();

        assertTrue(done.await(10, TimeUnit.SECONDS), "the idle thread was not woken from its park");
    }

    @Test
    @Timeout(20)
    void shouldRunTheWorkHookAfterWorkOnly()
    {
        final AtomicInteger calls = new AtomicInteger();
        final WakeableIdleStrategy idle = new WakeableIdleStrategy(10, 10, 1, 1).onWork(calls::incrementAndGet);

        idle.idle(0);
        idle.idle(0);
        assertEquals(0, calls.get());

        idle.idle(3);
        assertEquals(1, calls.get());
    }

    /** Waits until the thread is in a timed park (the strategy's park phase). */
    private static void awaitParked(final Thread thread)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.TIMED_WAITING)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the idle thread never parked: " + thread.getState());
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }
}
