/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The media driver's wait: instead of parking for a fixed time and then polling its sockets, the idle driver thread
 * blocks in a {@link Selector} on every UDP socket it reads, so a datagram from another node wakes it the moment it
 * arrives, and a thread that has queued something for it to send wakes it with {@link #wake()}. The wait is bounded
 * (the driver's timers: heartbeats, status messages, retransmits, and commands from its clients, which no socket
 * announces), so a quiet node costs one wake-up per bound and a message costs no polling at all.
 * <p>
 * The driver reads its sockets itself, in its own duty cycle; the selector here only tells the thread when to run
 * one. A socket that stays readable after a duty cycle that did nothing (one this driver no longer reads) would make
 * every select return at once: the strategy then parks for the bound instead, once, so the worst case is polling at
 * the bound, never spinning.
 * <p>
 * Each select tells a socket's owner that the socket is readable (see {@link #register}; {@link SelectedEndpoints}
 * then reads only those), and so a duty cycle that did work is followed by a select that does not wait, so that the
 * owners hear of what arrived meanwhile: one system call for all the sockets, instead of one per socket.
 * <p>
 * After a duty cycle that did work, {@link #onWork(Runnable)} runs (the node wakes its {@code cluster} agent, which
 * reads what the driver received). Threads: {@link #idle}, {@link #register} on the driver's one thread;
 * {@link #wake()} from any thread, garbage-free; {@link #close()} once the driver has stopped.
 */
final class SelectingIdleStrategy extends AbstractWakeableIdleStrategy implements AutoCloseable
{
    private final ReadinessSelector selector = new ReadinessSelector("the media driver's selector", (ex) -> { });
    private final int maxSpins;
    private final long maxWaitMs;
    private int spins;
    /** The last select found a socket readable: if the next duty cycle finds nothing, do not trust the sockets. */
    private boolean readyWithoutWork;
    /** True from the first idle call without work until the next duty cycle with work: a wake must reach the select. */
    private volatile boolean idle;

    /**
     * @param maxSpins  duty cycles that find nothing before the thread blocks.
     * @param maxWaitNs longest block (rounded up to whole milliseconds, the selector's unit).
     */
    SelectingIdleStrategy(final int maxSpins, final long maxWaitNs)
    {
        this.maxSpins = maxSpins;
        this.maxWaitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(maxWaitNs + TimeUnit.MILLISECONDS.toNanos(1) - 1));
    }

    /**
     * Something to run after each duty cycle that did work, on the idle thread. Set before the thread starts.
     *
     * @param onWork what to run; null for nothing.
     * @return this.
     */
    SelectingIdleStrategy onWork(final Runnable onWork)
    {
        workHook(onWork);
        return this;
    }

    /**
     * Wakes the idle thread when the socket has something to read, and tells its owner so at each select that finds
     * it readable. A socket closed later leaves the selector by itself. Driver thread (or before it starts).
     *
     * @param channel    a non-blocking socket the driver reads.
     * @param onReadable run on the driver thread each time a select finds the socket readable.
     */
    void register(final SelectableChannel channel, final Runnable onReadable)
    {
        selector.register(channel, onReadable);
    }

    /**
     * Ends the idle thread's wait, or its next one if it is between two: a wake is never lost. Any thread; costs a
     * system call only while the thread is idle.
     */
    @Override
    void wake()
    {
        VarHandle.fullFence(); // what the caller queued is visible before idle is read (see idle())
        if (idle)
        {
            selector.wakeup();
        }
    }

    @Override
    public void idle()
    {
        if (!idle)
        {
            // Said before the next duty cycle looks for work: a wake after that look reaches the select below.
            idle = true;
            VarHandle.fullFence();
            return;
        }
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
            return;
        }
        if (readyWithoutWork)
        {
            readyWithoutWork = false;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(maxWaitMs));
            return;
        }
        final int ready = selector.select(maxWaitMs);
        if (ready < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(maxWaitMs)); // the selector failed: poll at the bound
        }
        readyWithoutWork = ready > 0;
    }

    @Override
    void afterWork()
    {
        selector.selectNow();
    }

    @Override
    public void reset()
    {
        if (idle)
        {
            idle = false;
        }
        spins = 0;
        readyWithoutWork = false;
    }

    @Override
    public String alias()
    {
        return "selecting";
    }

    /** Closes the selector. After the driver thread has stopped. */
    @Override
    public void close()
    {
        selector.close();
    }

    @Override
    public String toString()
    {
        return "SelectingIdleStrategy{maxSpins=" + maxSpins + ", maxWaitMs=" + maxWaitMs + '}';
    }
}
