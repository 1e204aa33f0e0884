/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * One of the threads that run the slow {@link FirstLineVerifier} checks ({@code verifier-N}), so that a deliberately
 * slow key derivation never delays the {@code authenticator}'s reads, a reader or the broker.
 * <pre>
 *   authenticator ──(inbox: one check at a time, SPSC)──▶ verifier-N ──(results, MPSC)──▶ authenticator (wakeup)
 * </pre>
 * The authenticator gives it a check only while it has none, so its inbox never holds more than one and the results
 * queue never more than one per verifier. A check the authenticator cancelled before it started (its connection's
 * name deadline passed) is given back unchecked. Blocks (parks) while it has nothing to do; the authenticator unparks
 * it when it hands over a check.
 */
final class Verifier implements Agent
{
    private static final System.Logger LOG = System.getLogger(Verifier.class.getName());
    /** Most time it parks without being unparked: how soon it notices a stop request. */
    private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int index;
    private final FirstLineVerifier verifier;
    private final OneToOneConcurrentArrayQueue<LoginCheck> inbox = new OneToOneConcurrentArrayQueue<>(2);
    private final ManyToOneConcurrentArrayQueue<LoginCheck> results;
    private final Runnable wakeAuthenticator;
    private final AgentIdleStrategy idleStrategy;
    private volatile Thread thread;
    private volatile boolean stopRequested;

    Verifier(
        final int index,
        final FirstLineVerifier verifier,
        final ManyToOneConcurrentArrayQueue<LoginCheck> results,
        final Runnable wakeAuthenticator)
    {
        this.index = index;
        this.verifier = verifier;
        this.results = results;
        this.wakeAuthenticator = wakeAuthenticator;
        this.idleStrategy = new AgentIdleStrategy(IdleStrategyKind.BLOCK, () -> LockSupport.parkNanos(this, PARK_NS));
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /**
     * Authenticator thread only, and only while this verifier has no check: hands it one and wakes it.
     *
     * @param check dispatched to this verifier.
     */
    void offer(final LoginCheck check)
    {
        if (!inbox.offer(check))
        {
            throw new IllegalStateException("verifier-" + index + " already has a check"); // a bug in dispatching
        }
        final Thread running = thread;
        if (null != running)
        {
            LockSupport.unpark(running);
        }
    }

    /** Any thread: stops at its next duty cycle. */
    void requestStop()
    {
        stopRequested = true;
        final Thread running = thread;
        if (null != running)
        {
            LockSupport.unpark(running);
        }
    }

    @Override
    public String roleName()
    {
        return "verifier-" + index;
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    @Override
    public int doWork()
    {
        if (stopRequested)
        {
            throw new AgentTerminationException();
        }
        final LoginCheck check = inbox.poll();
        if (null == check)
        {
            return 0;
        }
        if (check.tryStart())
        {
            int keep;
            try
            {
                keep = verifier.verify(check.line, 0, check.line.length);
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.ERROR, check.connection + ": credentials check failed", ex);
                keep = -1;
            }
            check.done(keep);
        }
        // The secret is not kept beyond the check: only the name, before keep, is still needed.
        Arrays.fill(check.line, Math.max(0, check.keep), check.line.length, (byte)0);
        while (!results.offer(check))
        {
            // Cannot stay full: it holds at most one check per verifier, and is sized for that.
            Thread.onSpinWait();
        }
        wakeAuthenticator.run();
        return 1;
    }

    @Override
    public void onClose()
    {
        thread = null;
    }
}
