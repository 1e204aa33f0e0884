/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The I/O of many {@link TernClient}s on one thread: one selector, every client's socket in it.
 * <pre>
 *   any thread: TernClient.start(config, loop), send, flush, close
 *        | signal (bounded many-to-one queue of clients, each at most once; wakes the selector only if it waits)
 *        v
 *   the polling thread: poll() -- signalled clients: start, write what waits, close
 *                               -- ready keys: connect, TLS handshake, read -&gt; decode -&gt; handlers, write
 *                               -- due timers: connect and registration deadlines, reconnect back-off
 *                               -- nothing to do: waits in the selector, up to the timeout
 * </pre>
 * Two ways to drive it: {@link #start(String, int)} gives it a thread of its own (a daemon, named as given) that polls
 * until {@link #close()}; {@link #invoker(int)} gives it none, and one thread of the application calls
 * {@link #poll(long)}, for an application that already runs an event loop (as the loadgen does). Every client's
 * handlers and connection listener are called on the polling thread.
 * <p>
 * {@link TernClient#connect(TernClientConfig)} makes a loop of its own for each client; share one with
 * {@link TernClient#start(TernClientConfig, TernEventLoop)} when a program holds many connections.
 * <p>
 * Bounded: at most {@code maxClients} clients at once ({@link #start(String, int)}); the signal queue holds each of
 * them at most once.
 */
public final class TernEventLoop implements AutoCloseable
{
    /** Clients a loop holds at once unless told otherwise. */
    public static final int DEFAULT_MAX_CLIENTS = 16_384;
    /** Longest wait in the selector of a loop's own thread: how often it looks at {@link #close()} at the least. */
    static final long IDLE_SELECT_MS = 100;
    private static final long CLOSE_JOIN_MS = 5_000;

    private final Selector selector;
    private final int maxClients;
    private final ManyToOneConcurrentArrayQueue<TernClient> signalled;
    private final Thread thread;
    private final Consumer<SelectionKey> onReadyKey = this::onReadyKey;
    private final Consumer<TernClient> onSignalled = this::onSignalled;
    private final Object countLock = new Object();

    private volatile boolean idle;
    private volatile boolean closed;
    private volatile Thread poller;
    private int clientCount;

    // Polling thread only.
    private final ArrayList<TernClient> clients = new ArrayList<>();
    private long nextTimerNs = Long.MAX_VALUE;
    private int work;
    private long nowNs;
    private boolean stopped;

    private TernEventLoop(final String threadName, final int maxClients)
    {
        if (maxClients < 1)
        {
            throw new IllegalArgumentException("maxClients must be at least 1: " + maxClients);
        }
        try
        {
            this.selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
        this.maxClients = maxClients;
        // Each client is queued at most once at a time; twice the bound leaves room for ones closing meanwhile.
        this.signalled = new ManyToOneConcurrentArrayQueue<>(Math.max(2, 2 * maxClients));
        if (null == threadName)
        {
            this.thread = null;
        }
        else
        {
            this.thread = new Thread(this::run, threadName);
            this.thread.setDaemon(true);
            this.poller = thread;
        }
    }

    /**
     * A loop with a thread of its own, started here, which polls until {@link #close()}.
     *
     * @param threadName the thread's name.
     * @param maxClients most clients at once.
     * @return the running loop.
     */
    public static TernEventLoop start(final String threadName, final int maxClients)
    {
        final TernEventLoop loop = new TernEventLoop(threadName, maxClients);
        loop.thread.start();
        return loop;
    }

    /**
     * A loop without a thread: one thread of the application drives it with {@link #poll(long)}, and is then the
     * thread every handler of its clients runs on.
     *
     * @param maxClients most clients at once.
     * @return the loop; nothing happens until it is polled.
     */
    public static TernEventLoop invoker(final int maxClients)
    {
        return new TernEventLoop(null, maxClients);
    }

    /**
     * Does every client's I/O that is due: starts new clients, writes what waits, reads and calls the handlers,
     * runs the timers; when there was nothing to do, waits in the selector up to the timeout (or until a send, a
     * flush or a close needs it). Only for a loop made by {@link #invoker(int)}, always from the same thread.
     *
     * @param timeoutMs longest wait when there is nothing to do; 0 never waits.
     * @return the work done: 0 when there was none.
     * @throws IllegalStateException from a loop with its own thread, or from a second thread.
     */
    public int poll(final long timeoutMs)
    {
        final Thread current = Thread.currentThread();
        if (null != thread)
        {
            throw new IllegalStateException("this loop has a thread of its own, " + thread.getName());
        }
        if (poller != current)
        {
            if (null != poller)
            {
                throw new IllegalStateException("polled from " + current.getName() + " and " + poller.getName());
            }
            poller = current;
        }
        return doPoll(timeoutMs);
    }

    /** Makes a {@link #poll(long)} that waits in the selector return soon. Any thread. */
    public void wake()
    {
        selector.wakeup();
    }

    /**
     * Closes every client on it at once, without flushing, and stops its thread (waiting for it, up to 5 s). From the
     * polling thread of an invoker loop, or from any thread once it is no longer polled. Idempotent.
     */
    @Override
    public void close()
    {
        closed = true;
        selector.wakeup();
        if (null != thread)
        {
            if (Thread.currentThread() != thread)
            {
                try
                {
                    thread.join(CLOSE_JOIN_MS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
        else
        {
            stop();
        }
    }

    /** @return true once {@link #close()} was called. */
    public boolean isClosed()
    {
        return closed;
    }

    /** @return the loop's own thread, or null for an invoker loop. */
    public Thread thread()
    {
        return thread;
    }

    @Override
    public String toString()
    {
        return "TernEventLoop{" + (null != thread ? thread.getName() : "invoker") + ", clients=" + clientCount + "}";
    }

    // ---------------------------------------------------------------- any thread, for clients

    /** @return true on the thread that polls this loop. */
    boolean isPollingThread()
    {
        return Thread.currentThread() == poller;
    }

    /** Takes a new client, started on the polling thread at its next poll. */
    void add(final TernClient client)
    {
        synchronized (countLock)
        {
            if (closed)
            {
                throw new IllegalStateException("the loop is closed");
            }
            if (clientCount >= maxClients)
            {
                throw new IllegalStateException("the loop already holds maxClients=" + maxClients + " clients");
            }
            clientCount++;
        }
        signal(client);
    }

    /**
     * Asks the polling thread to look at the client: its sends, its flush, its close. Each client is queued at most
     * once; the selector is woken only when the loop waits in it.
     */
    void signal(final TernClient client)
    {
        if (client.markSignalled())
        {
            while (!signalled.offer(client))
            {
                Thread.yield(); // cannot happen while the bound holds: each client is queued at most once
            }
        }
        // Pairs with the poller's 'idle = true', fence, then queue check: one of us sees the other.
        VarHandle.fullFence();
        if (idle)
        {
            selector.wakeup();
        }
    }

    // ---------------------------------------------------------------- polling thread

    Selector selector()
    {
        return selector;
    }

    /** The client wants {@link TernClient#onTimer(long)} at this time, or soon after. */
    void timerAt(final long deadlineNs)
    {
        if (Long.MAX_VALUE != deadlineNs && (Long.MAX_VALUE == nextTimerNs || deadlineNs - nextTimerNs < 0))
        {
            nextTimerNs = deadlineNs;
        }
    }

    /** The client has ended (closed for good): off the loop. */
    void remove(final TernClient client)
    {
        final int index = client.loopIndex;
        if (index >= 0)
        {
            final int last = clients.size() - 1;
            final TernClient moved = clients.remove(last);
            if (index != last)
            {
                clients.set(index, moved);
                moved.loopIndex = index;
            }
            client.loopIndex = -1;
        }
        synchronized (countLock)
        {
            clientCount--;
        }
    }

    private void run()
    {
        try
        {
            while (!closed)
            {
                doPoll(IDLE_SELECT_MS);
            }
        }
        finally
        {
            stop();
        }
    }

    private int doPoll(final long timeoutMs)
    {
        if (closed)
        {
            stop();
            return 0;
        }
        work = 0;
        nowNs = System.nanoTime();
        signalled.drain(onSignalled);
        try
        {
            if (0 == work && timeoutMs > 0)
            {
                // Straight into the wait, which returns at once when a socket is ready: one call, where a look
                // without waiting and then a wait made two whenever the sockets had nothing.
                idle = true;
                VarHandle.fullFence();
                final long waitMs = signalled.isEmpty() && !closed ? waitMs(timeoutMs) : 0;
                if (waitMs > 0)
                {
                    selector.select(onReadyKey, waitMs);
                }
                else
                {
                    selector.selectNow(onReadyKey);
                }
                idle = false;
                nowNs = System.nanoTime();
                signalled.drain(onSignalled);
            }
            else
            {
                selector.selectNow(onReadyKey);
                nowNs = System.nanoTime();
            }
            runDueTimers(); // after the sockets: a registration echo already read must not lose to its deadline
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the selector failed", ex);
        }
        return work;
    }

    /** @return how long a poll may wait: its timeout, or less to the next timer. */
    private long waitMs(final long timeoutMs)
    {
        if (Long.MAX_VALUE == nextTimerNs)
        {
            return timeoutMs;
        }
        return Math.min(timeoutMs,
            TimeUnit.NANOSECONDS.toMillis(nextTimerNs - nowNs + TimeUnit.MILLISECONDS.toNanos(1) - 1));
    }

    private void runDueTimers()
    {
        if (Long.MAX_VALUE != nextTimerNs && nowNs - nextTimerNs >= 0)
        {
            runTimers();
        }
    }

    private void onSignalled(final TernClient client)
    {
        client.clearSignalled();
        if (client.loopIndex < 0 && !client.hasEnded())
        {
            client.loopIndex = clients.size();
            clients.add(client);
        }
        if (!closed)
        {
            work += client.onSignal(nowNs);
        }
    }

    private void onReadyKey(final SelectionKey key)
    {
        if (key.isValid())
        {
            work += ((TernClient)key.attachment()).onReady(key.readyOps(), nowNs);
        }
    }

    private void runTimers()
    {
        nextTimerNs = Long.MAX_VALUE;
        for (int i = clients.size() - 1; i >= 0; i--)
        {
            if (i < clients.size())
            {
                timerAt(clients.get(i).onTimer(nowNs));
            }
        }
    }

    private void stop()
    {
        if (stopped)
        {
            return;
        }
        stopped = true;
        closed = true;
        signalled.drain(onSignalled); // clients added but never started end here too
        for (int i = clients.size() - 1; i >= 0; i--)
        {
            if (i < clients.size())
            {
                clients.get(i).endNow();
            }
        }
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // Stopping.
        }
    }
}
