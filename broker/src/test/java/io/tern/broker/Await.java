/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Waiting with a deadline, for every broker test package: never a sleep as synchronisation.
 */
public final class Await
{
    private Await()
    {
    }

    /** Polls {@code condition} until it holds, failing the test if the deadline passes first. */
    public static void condition(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Waits for a background task, rethrowing its failure (an assertion error stays an assertion error). */
    public static <T> T join(final Future<T> future, final Duration timeout, final String what) throws Exception
    {
        try
        {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            return fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof Error)
            {
                throw (Error)cause;
            }
            if (cause instanceof Exception)
            {
                throw (Exception)cause;
            }
            throw new AssertionError(what + " failed", cause);
        }
    }
}
