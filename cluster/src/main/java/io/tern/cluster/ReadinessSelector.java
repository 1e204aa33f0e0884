/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

import org.agrona.ErrorHandler;

/**
 * A selector over a media driver's UDP sockets whose keys each carry what to run, on the selecting thread, when a
 * select finds their socket readable ({@link SelectedEndpoints} then reads it). A selector that fails tells every
 * socket's owner that it is readable: reading every socket (a read that finds nothing costs a system call) is better
 * than reading none. One thread registers and selects; {@link #wakeup()} from any thread.
 */
final class ReadinessSelector implements AutoCloseable
{
    private final Selector selector;
    private final ErrorHandler errorHandler;
    private final Consumer<SelectionKey> onReady = (key) -> ((Runnable)key.attachment()).run();

    /**
     * @param what         what the selector is for, in the message if it cannot be opened.
     * @param errorHandler told of a failed select.
     */
    ReadinessSelector(final String what, final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open " + what, ex);
        }
    }

    /**
     * @param channel    a non-blocking socket; a socket closed later leaves the selector by itself, and one already
     *                   closed is not watched (nothing will arrive on it).
     * @param onReadable run on the selecting thread each time a select finds the socket readable.
     */
    void register(final SelectableChannel channel, final Runnable onReadable)
    {
        try
        {
            channel.register(selector, SelectionKey.OP_READ, onReadable);
        }
        catch (final ClosedChannelException ex)
        {
            // Nothing will arrive on it.
        }
    }

    /** @return the sockets found readable, without waiting; -1 if the select failed (then every socket counts). */
    int selectNow()
    {
        try
        {
            return selector.selectNow(onReady);
        }
        catch (final IOException ex)
        {
            return failed(ex);
        }
    }

    /**
     * @param timeoutMs longest wait, at least 1.
     * @return the sockets found readable; -1 if the select failed (then every socket counts).
     */
    int select(final long timeoutMs)
    {
        try
        {
            return selector.select(onReady, timeoutMs);
        }
        catch (final IOException ex)
        {
            return failed(ex);
        }
    }

    /** Ends a select that waits, or makes the next one return at once. Any thread. */
    void wakeup()
    {
        selector.wakeup();
    }

    private int failed(final IOException ex)
    {
        errorHandler.onError(ex);
        try
        {
            for (final SelectionKey key : selector.keys())
            {
                ((Runnable)key.attachment()).run();
            }
        }
        catch (final ClosedSelectorException closing)
        {
            // Closing: nothing more to read.
        }
        return -1;
    }

    /** After the selecting thread has stopped. */
    @Override
    public void close()
    {
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            // Nothing more to wake.
        }
    }
}
