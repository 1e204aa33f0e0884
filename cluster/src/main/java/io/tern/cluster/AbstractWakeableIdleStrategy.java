/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import org.agrona.concurrent.IdleStrategy;

/**
 * What the cluster's idle strategies share: another thread can end the wait ({@link #wake()}), and a hook runs on the
 * idle thread after each duty cycle that did work (e.g. waking the thread that reads what this one received).
 */
abstract class AbstractWakeableIdleStrategy implements IdleStrategy
{
    private Runnable onWork;

    /**
     * @param onWork what to run after each duty cycle that did work, on the idle thread; null for nothing. Set before
     *               the thread starts.
     */
    final void workHook(final Runnable onWork)
    {
        this.onWork = onWork;
    }

    /** After a duty cycle that did work, before the work hook: nothing unless a strategy says otherwise. */
    void afterWork()
    {
    }

    /** Ends the idle thread's wait, or makes its next one return at once. Any thread, garbage-free. */
    abstract void wake();

    @Override
    public final void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
            afterWork();
            final Runnable onWork = this.onWork;
            if (null != onWork)
            {
                onWork.run();
            }
        }
        else
        {
            idle();
        }
    }
}
