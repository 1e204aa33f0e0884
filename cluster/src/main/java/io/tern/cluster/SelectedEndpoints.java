/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.util.function.Consumer;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.SendChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The media driver's receiving UDP endpoints, each registering its socket once open with the selector of whatever
 * thread runs the driver (the driver's own {@link SelectingIdleStrategy}, or the broker's {@code shared} thread for a
 * {@link LinkDriver}), so that data and setups wake that thread, and telling {@link DriverArrivals} of each data
 * frame. Aeron's own endpoints otherwise, through the driver's endpoint supplier (its documented extension
 * point, also used by its loss-testing endpoints).
 * <p>
 * The directory's driver keeps Aeron's own sending endpoints: their sockets (status messages, NAKs) do not wake it, and
 * it reads them at its next duty cycle, within its wait's bound. Registering them too made a directory member that
 * restarted from its snapshot fail to rejoin the log in time (NameDirectorySnapshotTest), for a reason not yet
 * understood; a sender held back by its window wakes the driver itself while it waits (see ClusterNode). The links'
 * driver, which waits up to 10 ms, has its sending sockets watched too ({@link #useForLinks}): a status message that
 * opens a shut window, or a NAK, is then handled at once, not at its next timer.
 */
final class SelectedEndpoints
{
    private SelectedEndpoints()
    {
    }

    /**
     * Makes the driver open its UDP endpoints through this class.
     *
     * @param context  the driver's context, before it starts.
     * @param watch    registers a socket with the selector of the thread that runs the driver.
     * @param arrivals told of data frames; null for none.
     */
    static void use(
        final MediaDriver.Context context, final Consumer<SelectableChannel> watch, final DriverArrivals arrivals)
    {
        context
            .receiveChannelEndpointSupplier((udpChannel, dispatcher, statusIndicator, ctx) ->
                new Receive(udpChannel, dispatcher, statusIndicator, ctx, watch, arrivals));
    }

    /**
     * Makes the links' driver open its receiving endpoints as {@link #use} does, without arrivals, and its sending
     * endpoints through this class too, watching their sockets.
     *
     * @param context the driver's context, before it starts.
     * @param watch   registers a socket with the selector of the thread that runs the driver.
     */
    static void useForLinks(final MediaDriver.Context context, final Consumer<SelectableChannel> watch)
    {
        use(context, watch, null);
        context.sendChannelEndpointSupplier((udpChannel, statusIndicator, ctx) ->
            new Send(udpChannel, statusIndicator, ctx, watch));
    }

    private static final class Send extends SendChannelEndpoint
    {
        private final Consumer<SelectableChannel> watch;

        Send(
            final UdpChannel udpChannel,
            final AtomicCounter statusIndicator,
            final MediaDriver.Context context,
            final Consumer<SelectableChannel> watch)
        {
            super(udpChannel, statusIndicator, context);
            this.watch = watch;
        }

        @Override
        public void openDatagramChannel(final AtomicCounter statusIndicator)
        {
            super.openDatagramChannel(statusIndicator);
            watch.accept(receiveDatagramChannel()); // where status messages and NAKs for the publication arrive
        }
    }

    private static final class Receive extends ReceiveChannelEndpoint
    {
        private final Consumer<SelectableChannel> watch;
        private final DriverArrivals arrivals;
        private final boolean link;

        Receive(
            final UdpChannel udpChannel,
            final DataPacketDispatcher dispatcher,
            final AtomicCounter statusIndicator,
            final MediaDriver.Context context,
            final Consumer<SelectableChannel> watch,
            final DriverArrivals arrivals)
        {
            super(udpChannel, dispatcher, statusIndicator, context);
            this.watch = watch;
            this.arrivals = arrivals;
            this.link = null != arrivals && arrivals.isLink(udpChannel);
        }

        @Override
        public int onDataPacket(
            final DataHeaderFlyweight header,
            final UnsafeBuffer buffer,
            final int length,
            final InetSocketAddress srcAddress,
            final int transportIndex)
        {
            final int bytes = super.onDataPacket(header, buffer, length, srcAddress, transportIndex);
            if (null != arrivals)
            {
                arrivals.onData(link);
            }
            return bytes;
        }

        @Override
        public void openDatagramChannel(final AtomicCounter statusIndicator)
        {
            super.openDatagramChannel(statusIndicator);
            watch.accept(receiveDatagramChannel());
        }
    }
}
