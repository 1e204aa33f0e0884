/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.util.concurrent.locks.LockSupport;

/**
 * A backing-off idle strategy (spin, then yield, then park for doubling times up to a maximum, as Agrona's
 * {@code BackoffIdleStrategy}) that another thread can cut short: {@link #wake()} unparks the idle thread when it has
 * been told there is work for it. The {@code cluster} agent waits with it: it reads what the media driver received
 * and what the Router queued, and both wake it, so it may park long without delaying either (the driver itself blocks
 * on its sockets: {@link SelectingIdleStrategy}). Nothing spins for longer than the strategy's short spin phase.
 * <p>
 * A wake that comes between the idle thread's last poll and its park is not lost only if the thread has already said
 * it is idle: a wake in that narrow window costs one park at most (bounded by the maximum park). Threads: {@link #idle}
 * on the one thread it paces; {@link #wake()} from any thread, garbage-free.
 */
final class WakeableIdleStrategy extends AbstractWakeableIdleStrategy
{
    private static final int NOT_IDLE = 0;
    private static final int SPINNING = 1;
    private static final int YIELDING = 2;
    private static final int PARKING = 3;

    private final int maxSpins;
    private final int maxYields;
    private final long minParkNs;
    private final long maxParkNs;
    private int state = NOT_IDLE;
    private int spins;
    private int yields;
    private long parkNs;
    private volatile Thread owner;
    /** True from the first idle call without work until the next duty cycle with work: a wake must unpark. */
    private volatile boolean idle;

    /**
     * @param maxSpins  busy spins before yielding.
     * @param maxYields yields before parking.
     * @param minParkNs first park.
     * @param maxParkNs longest park, reached by doubling.
     */
    WakeableIdleStrategy(final int maxSpins, final int maxYields, final long minParkNs, final long maxParkNs)
    {
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
    }

    /**
     * Something to run after each duty cycle that did work, on the idle thread (e.g. wake the agent that reads what
     * this one received). Set before the thread starts.
     *
     * @param onWork what to run; null for nothing.
     * @return this.
     */
    WakeableIdleStrategy onWork(final Runnable onWork)
    {
        workHook(onWork);
        return this;
    }

    /** Cuts the idle thread's park or yield short, or makes its next park return at once. Any thread. */
    @Override
    void wake()
    {
        if (idle)
        {
            final Thread thread = owner;
            if (null != thread)
            {
                LockSupport.unpark(thread);
            }
        }
    }

    @Override
    public void idle()
    {
        switch (state)
        {
            case NOT_IDLE:
                if (null == owner)
                {
                    owner = Thread.currentThread();
                }
                idle = true;
                state = SPINNING;
                spins++;
                break;

            case SPINNING:
                Thread.onSpinWait();
                if (++spins > maxSpins)
                {
                    state = YIELDING;
                    yields = 0;
                }
                break;

            case YIELDING:
                if (++yields > maxYields)
                {
                    state = PARKING;
                    parkNs = minParkNs;
                }
                else
                {
                    Thread.yield();
                }
                break;

            case PARKING:
            default:
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(parkNs << 1, maxParkNs);
                break;
        }
    }

    @Override
    public void reset()
    {
        if (NOT_IDLE != state)
        {
            idle = false;
            state = NOT_IDLE;
            spins = 0;
        }
    }

    @Override
    public String alias()
    {
        return "wakeable-backoff";
    }

    @Override
    public String toString()
    {
        return "WakeableIdleStrategy{maxSpins=" + maxSpins + ", maxYields=" + maxYields + ", minParkNs=" + minParkNs +
            ", maxParkNs=" + maxParkNs + '}';
    }
}
