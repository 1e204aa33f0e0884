/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.nio.channels.SelectableChannel;
import java.util.function.BiConsumer;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;

/**
 * The media driver that carries the messages between nodes when the broker's {@code shared} thread reads the links: a
 * driver of its own, in Aeron's invoker mode, with an Aeron client in invoker mode too, both run by that thread in its
 * duty cycle ({@link #invoke(boolean)}). A message then crosses from one node's {@code shared} thread to the other's
 * with no thread in between: the sending thread offers the frame and runs the driver, which sends the datagram; each
 * node's {@code shared} thread watches its driver's sockets beside its clients' sockets ({@link SelectedEndpoints}), so
 * the datagram wakes the receiving node's thread, which runs its driver (the datagram goes into the image) and reads
 * the frame. A run reads only the sockets that a select, of the {@code shared} thread's selector or of the driver's own
 * (both polled by that thread), found readable since a read last found them empty. The directory keeps its own driver
 * ({@link DirectoryMember}) on a thread of its own: its agents need a driver that answers while the broker waits.
 * <p>
 * Made and closed on one thread (the launching one, before the {@code shared} thread starts and after it ends);
 * invoked by the {@code shared} thread only in between.
 */
final class LinkDriver implements AutoCloseable
{
    /**
     * Longest time between two {@link #invoke(boolean)}s while the {@code shared} thread has nothing else to do: the
     * driver's timers (heartbeats every 100 ms on an idle link, status messages every 200 ms, the client's keepalive
     * every 500 ms) need no more. What the links carry is announced: a frame offered is sent in the same duty cycle,
     * and a datagram received (a frame, or a status message or NAK for a publication) wakes the thread. Unlike the
     * directory's driver it answers no other thread's commands, which need 1 ms.
     */
    static final long MAX_INVOKE_INTERVAL_MS = 10;

    private final MediaDriver driver;
    private final Aeron aeron;
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;
    private final ReadinessSelector selector;

    /**
     * @param dir                    the driver's directory, wiped at start and at close.
     * @param watch                  registers a socket with the {@code shared} thread's selector, with what to run on
     *                               that thread each time its select finds the socket readable.
     * @param connectionTimeoutNs    a publication whose receiver stopped answering reads as not connected after this.
     * @param errorHandler           where the driver's and the client's errors go.
     * @param testHook               tests only: adjusts the driver's context (lossy endpoints); null otherwise.
     */
    LinkDriver(
        final File dir,
        final BiConsumer<SelectableChannel, Runnable> watch,
        final long connectionTimeoutNs,
        final ErrorHandler errorHandler,
        final DirectoryMember.TestHook testHook)
    {
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(dir.getAbsolutePath())
            .threadingMode(ThreadingMode.INVOKER)
            .termBufferSparseFile(true)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .publicationConnectionTimeoutNs(connectionTimeoutNs)
            .errorHandler(errorHandler);
        selector = new ReadinessSelector("the links' selector", errorHandler);
        SelectedEndpoints.useForLinks(context, (channel, onReadable) ->
        {
            watch.accept(channel, onReadable);
            selector.register(channel, onReadable);
        });
        if (null != testHook)
        {
            testHook.driver(context);
        }
        MediaDriver launched = null;
        try
        {
            launched = MediaDriver.launch(context);
            driverInvoker = launched.sharedAgentInvoker();
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(dir.getAbsolutePath())
                .useConductorAgentInvoker(true)
                .driverAgentInvoker(driverInvoker)
                .errorHandler(errorHandler));
            clientInvoker = aeron.conductorAgentInvoker();
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(launched, selector);
            throw ex;
        }
        driver = launched;
    }

    /** @return the client on this driver; its own calls run the driver until answered. */
    Aeron aeron()
    {
        return aeron;
    }

    /**
     * One duty cycle of the driver (send what was offered, read the sockets its selector finds readable, its timers)
     * and of the client (the driver's news, its keepalive). The {@code shared} thread; garbage-free.
     *
     * @param select true to poll the driver's own selector first: when the {@code shared} thread's selector (which
     *               watches the same sockets) may not have been polled since the last run; one system call for all
     *               the sockets.
     * @return work done.
     */
    int invoke(final boolean select)
    {
        if (select)
        {
            selector.selectNow();
        }
        return driverInvoker.invoke() + clientInvoker.invoke();
    }

    /** Closes the client, then the driver. Not while the {@code shared} thread runs. */
    @Override
    public void close()
    {
        CloseHelper.closeAll(aeron, driver, selector);
    }
}
