/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.agrona.concurrent.IdleStrategy;

/**
 * The idle strategy of a transport agent: depending on {@link IdleStrategyKind}, spin and yield for a while and then
 * block in the agent's own selector, where a socket becoming ready or another thread's {@code wakeup()} ends the wait.
 * Blocking in the selector rather than parking on a timer is what lets the default use no CPU when idle and still
 * wake within microseconds.
 */
final class AgentIdleStrategy implements IdleStrategy
{
    /** Blocks until the agent may have work. Implemented by each agent over its selector. */
    @FunctionalInterface
    interface Blocker
    {
        void block();
    }

    static final int BACKOFF_SPINS = 2_000;
    static final int BACKOFF_YIELDS = 50;

    private final IdleStrategyKind kind;
    private final Blocker blocker;
    private int spins;
    private int yields;

    AgentIdleStrategy(final IdleStrategyKind kind, final Blocker blocker)
    {
        this.kind = kind;
        this.blocker = blocker;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        switch (kind)
        {
            case BUSY_SPIN:
                Thread.onSpinWait();
                break;

            case BACKOFF:
                if (spins < BACKOFF_SPINS)
                {
                    spins++;
                    Thread.onSpinWait();
                }
                else if (yields < BACKOFF_YIELDS)
                {
                    yields++;
                    Thread.yield();
                }
                else
                {
                    blocker.block();
                }
                break;

            default:
                blocker.block();
                break;
        }
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
    }

    @Override
    public String alias()
    {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
