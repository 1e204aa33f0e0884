/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import io.aeron.ControlledFragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;

import io.tern.broker.ClusterEvents;

/**
 * Reads the other nodes' links (one subscription per node) and hands each frame to {@link ClusterEvents}, into the
 * broker's ring. A full ring makes it stop (ABORT) and say it has a backlog, so back-pressure reaches the sending
 * node's publication. Run by one thread only: the broker's {@code shared} thread (the default threading, so a frame
 * from another node is routed on the thread the media driver wakes, with no hand-off between), or else the
 * {@code cluster} agent. Garbage-free.
 */
final class LinkReader
{
    private static final int FRAGMENT_LIMIT = 64;
    /**
     * Bytes read from the links after which the media driver is woken: it sends the status message that lets a sender
     * whose window is full go on (the window is 128 KiB by default; a status message is due after a quarter of it).
     * Fewer bytes need no wake: the driver looks at least every millisecond, and at every datagram.
     */
    static final int WINDOW_WAKE_BYTES = 16 * 1024;

    private final Subscription[] links;
    private final ControlledFragmentAssembler[] assemblers;
    private final ClusterEvents events;
    private final Runnable wakeDriver;
    private int bytesSinceWake;
    private boolean backlog;

    /**
     * @param links      one subscription per other node, null at this node's own index.
     * @param events     where frames go.
     * @param wakeDriver wakes the media driver (see {@link #WINDOW_WAKE_BYTES}).
     */
    LinkReader(final Subscription[] links, final ClusterEvents events, final Runnable wakeDriver)
    {
        this.links = links;
        this.events = events;
        this.wakeDriver = wakeDriver;
        this.assemblers = new ControlledFragmentAssembler[links.length];
        for (int node = 0; node < links.length; node++)
        {
            if (null != links[node])
            {
                final int from = node;
                assemblers[node] = new ControlledFragmentAssembler(
                    (buffer, offset, length, header) ->
                    {
                        if (events.onNodeFrame(from, buffer, offset, length))
                        {
                            bytesSinceWake += length;
                            return ControlledFragmentHandler.Action.CONTINUE;
                        }
                        backlog = true;
                        return ControlledFragmentHandler.Action.ABORT;
                    });
            }
        }
    }

    /**
     * Reads what has arrived, up to a limit per link, and ends the batch (waking the thread that routes, if it
     * waits).
     *
     * @return frames handed over.
     */
    int poll()
    {
        backlog = false;
        int frames = 0;
        for (int node = 0; node < links.length; node++)
        {
            if (null != links[node])
            {
                final int read = links[node].controlledPoll(assemblers[node], FRAGMENT_LIMIT);
                backlog |= read == FRAGMENT_LIMIT;
                frames += read;
            }
        }
        if (frames > 0)
        {
            events.onBatchEnd();
            if (bytesSinceWake >= WINDOW_WAKE_BYTES)
            {
                bytesSinceWake = 0;
                wakeDriver.run();
            }
        }
        return frames;
    }

    /** @return whether the last {@link #poll()} left frames behind (the ring was full, or a link gave its limit). */
    boolean hasBacklog()
    {
        return backlog;
    }
}
