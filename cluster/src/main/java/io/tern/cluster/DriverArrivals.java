/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import io.aeron.driver.media.UdpChannel;

/**
 * Whom the media driver wakes after a duty cycle that received data: the links' reader when a frame from another node
 * arrived on this node's message endpoint, the {@code cluster} agent when anything else did (the directory's egress
 * among it). Waking by what arrived, rather than after every duty cycle with work (status messages, heartbeats, sends),
 * wakes each reader once per batch of its own data and never for the driver's housekeeping. Driver thread only.
 */
final class DriverArrivals implements Runnable
{
    private final int linkPort;
    private final Runnable wakeLinkReader;
    private final Runnable wakeAgent;
    private boolean linkData;
    private boolean otherData;

    /**
     * @param linkPort       the UDP port of this node's message endpoint.
     * @param wakeLinkReader wakes the thread that reads the links.
     * @param wakeAgent      wakes the {@code cluster} agent.
     */
    DriverArrivals(final int linkPort, final Runnable wakeLinkReader, final Runnable wakeAgent)
    {
        this.linkPort = linkPort;
        this.wakeLinkReader = wakeLinkReader;
        this.wakeAgent = wakeAgent;
    }

    /** @return whether a receiving endpoint on this channel is this node's message endpoint. */
    boolean isLink(final UdpChannel channel)
    {
        return channel.remoteData().getPort() == linkPort;
    }

    /** A data frame arrived, on the message endpoint or another. */
    void onData(final boolean link)
    {
        if (link)
        {
            linkData = true;
        }
        else
        {
            otherData = true;
        }
    }

    /** After a duty cycle that did work: wakes whoever has data to read. */
    @Override
    public void run()
    {
        if (linkData)
        {
            linkData = false;
            wakeLinkReader.run();
        }
        if (otherData)
        {
            otherData = false;
            wakeAgent.run();
        }
    }
}
