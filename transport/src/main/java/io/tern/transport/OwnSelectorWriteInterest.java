/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * Write-readiness on the writer's own selector: a partial write registers {@code OP_WRITE} there (once per connection,
 * the key is kept and its interest switched), and the writer polls it in its duty cycle and blocks in it when idle.
 * Writer thread only, except {@link #wakeup()}. Garbage-free once a connection's key exists.
 */
final class OwnSelectorWriteInterest implements WriteInterest
{
    private final Selector selector;
    private final boolean wakeups;
    private final Consumer<SelectionKey> onSelected = this::onSelected;
    private Consumer<Connection> onWritable;
    private int waiting;

    /**
     * @param selector the writer's selector.
     * @param wakeups  false when the writer's thread never blocks in it (busy spin): a wakeup would be a wasted call.
     */
    OwnSelectorWriteInterest(final Selector selector, final boolean wakeups)
    {
        this.selector = selector;
        this.wakeups = wakeups;
    }

    @Override
    public void request(final Connection connection) throws ClosedChannelException
    {
        final SelectionKey key = connection.writerKey;
        if (null == key)
        {
            connection.writerKey = connection.channel().register(selector, SelectionKey.OP_WRITE, connection);
            waiting++;
        }
        else if (key.isValid() && key.interestOps() == 0)
        {
            key.interestOps(SelectionKey.OP_WRITE);
            waiting++;
        }
    }

    @Override
    public void drop(final Connection connection)
    {
        final SelectionKey key = connection.writerKey;
        if (null != key && key.isValid() && key.interestOps() != 0)
        {
            key.interestOps(0);
            waiting--;
        }
    }

    @Override
    public int poll(final Consumer<Connection> onWritable)
    {
        if (0 == waiting)
        {
            return 0;
        }
        this.onWritable = onWritable;
        try
        {
            return selector.selectNow(onSelected);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("writer selector failed", ex);
        }
    }

    private void onSelected(final SelectionKey key)
    {
        if (key.isValid())
        {
            onWritable.accept((Connection)key.attachment());
        }
    }

    @Override
    public boolean isEmpty()
    {
        return 0 == waiting;
    }

    @Override
    public boolean needsPolling()
    {
        return waiting > 0;
    }

    @Override
    public void wakeup()
    {
        if (wakeups)
        {
            selector.wakeup();
        }
    }
}
