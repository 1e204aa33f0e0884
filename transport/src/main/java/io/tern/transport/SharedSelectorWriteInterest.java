/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * Write-readiness for the shared threading mode, where one thread runs the reader, the broker and the writer and
 * blocks in the reader's selector. A channel has one key per selector, so {@code OP_WRITE} goes on that key next to
 * the reader's {@code OP_READ}: a socket becoming writable then ends the shared thread's wait just as a readable one
 * does. The reader handles only the read readiness of its keys; this class, created by {@link SharedAgent} which
 * alone knows both run on one thread, reads the write readiness. A connection whose read key no longer selects reads
 * (input ended or key cancelled) falls back to the writer's own selector, which the shared thread then polls at least
 * every millisecond ({@link #needsPolling()}).
 * <p>
 * A key's ready set is only refreshed when the selector reports the key again, so a connection may be reported
 * writable once more than it is; the writer's {@code write} then takes nothing and asks again. Such a report is not
 * counted as work, so it never keeps the shared thread from blocking. Shared thread only. Garbage-free: the waiting
 * list is pre-sized.
 */
final class SharedSelectorWriteInterest implements WriteInterest
{
    private final OwnSelectorWriteInterest fallback;
    private final ArrayList<Connection> onReadKey;

    SharedSelectorWriteInterest(final OwnSelectorWriteInterest fallback, final int maxConnections)
    {
        this.fallback = fallback;
        this.onReadKey = new ArrayList<>(Math.min(maxConnections, 1024));
    }

    @Override
    public void request(final Connection connection) throws ClosedChannelException
    {
        if (connection.writeOnReadKey)
        {
            return;
        }
        final SelectionKey readKey = connection.readerKey;
        if (null != readKey && readKey.isValid() && (readKey.interestOps() & SelectionKey.OP_READ) != 0)
        {
            readKey.interestOpsOr(SelectionKey.OP_WRITE);
            connection.writeOnReadKey = true;
            onReadKey.add(connection);
            return;
        }
        fallback.request(connection);
    }

    @Override
    public void drop(final Connection connection)
    {
        if (connection.writeOnReadKey)
        {
            connection.writeOnReadKey = false;
            remove(connection);
            final SelectionKey readKey = connection.readerKey;
            if (readKey.isValid())
            {
                readKey.interestOpsAnd(~SelectionKey.OP_WRITE);
            }
            return;
        }
        fallback.drop(connection);
    }

    @Override
    public int poll(final Consumer<Connection> onWritable)
    {
        // Backwards: the handler may drop the connection it is given, which moves the last entry (already seen) here.
        for (int i = onReadKey.size() - 1; i >= 0; i--)
        {
            if (i >= onReadKey.size())
            {
                continue;
            }
            final Connection connection = onReadKey.get(i);
            final SelectionKey readKey = connection.readerKey;
            if (!readKey.isValid())
            {
                // The reader is done with the key: wait on the writer's own selector instead.
                drop(connection);
                try
                {
                    fallback.request(connection);
                }
                catch (final ClosedChannelException ex)
                {
                    onWritable.accept(connection); // the writer's write then fails and handles it
                }
            }
            else if ((readKey.readyOps() & SelectionKey.OP_WRITE) != 0)
            {
                onWritable.accept(connection);
            }
        }
        return fallback.poll(onWritable);
    }

    private void remove(final Connection connection)
    {
        final int i = onReadKey.indexOf(connection);
        if (i >= 0)
        {
            final int last = onReadKey.size() - 1;
            onReadKey.set(i, onReadKey.get(last));
            onReadKey.remove(last);
        }
    }

    @Override
    public boolean isEmpty()
    {
        return onReadKey.isEmpty() && fallback.isEmpty();
    }

    @Override
    public boolean needsPolling()
    {
        return fallback.needsPolling();
    }

    @Override
    public void wakeup()
    {
        // The broker runs on this same thread: nothing is waiting.
    }
}
