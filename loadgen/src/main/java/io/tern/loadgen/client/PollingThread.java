/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;

/**
 * The receiving thread, started before registration so that it can register the peers itself: a tern
 * {@code TernEventLoop} made by {@code invoker} may only ever be polled by the first thread that polls it, so the
 * thread that waits for the clients to connect must be the one that later reads their messages. It runs what it is
 * given, one job after another: {@link #call} (registration; the caller waits for the result), then one
 * {@link #runLast} (the receiving agent), after which it ends.
 */
public final class PollingThread
{
    private final SynchronousQueue<Runnable> jobs = new SynchronousQueue<>();
    private final Thread thread;
    /** Set by the last job itself, on this thread. */
    private boolean ended;

    /** @param name the thread's name, after its role ({@code loadgen-receiver}, {@code loadgen-client}). */
    public PollingThread(final String name)
    {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run()
    {
        try
        {
            while (!ended)
            {
                jobs.take().run();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt(); // ended by {@link #end()} before its last job
        }
    }

    /**
     * Runs a job on this thread and waits for it. Calling thread.
     *
     * @param job what to run.
     * @param <T> its result.
     * @return its result.
     * @throws Exception what the job threw.
     */
    public <T> T call(final Callable<T> job) throws Exception
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        jobs.put(() ->
        {
            try
            {
                result.complete(job.call());
            }
            catch (final Throwable t)
            {
                result.completeExceptionally(t);
            }
        });
        try
        {
            return result.get();
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception ? (Exception)ex.getCause() : ex;
        }
    }

    /**
     * Hands the thread its last job; it ends once that returns. Calling thread.
     *
     * @param job what to run.
     */
    public void runLast(final Runnable job)
    {
        try
        {
            jobs.put(() ->
            {
                ended = true;
                job.run();
            });
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted handing the polling thread its job", ex);
        }
    }

    /** Ends the thread when it is given no last job (registration failed). Calling thread. */
    public void end()
    {
        thread.interrupt();
    }

    /** @return the thread: to join it and to read its allocated bytes. */
    public Thread thread()
    {
        return thread;
    }
}
