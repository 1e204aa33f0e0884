/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.function.BiConsumer;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.SendChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The media driver's UDP endpoints, each registering its socket once open with a selector polled by the thread that
 * runs the driver (the directory driver's {@link SelectingIdleStrategy}; the {@link LinkDriver}'s own, which also has
 * the broker's {@code shared} thread woken), so that what arrives wakes that thread, and reading its socket only when
 * that selector last found it readable: Aeron's driver otherwise reads every socket once per duty cycle, a system call
 * apiece, and most of them find nothing (a directory member's driver has about ten sockets and runs up to a thousand
 * times a second; the links' driver runs on most duty cycles of a busy broker). Receiving endpoints also tell
 * {@link DriverArrivals} of each data frame. Aeron's own endpoints otherwise, through the driver's endpoint supplier
 * (its documented extension point, also used by its loss-testing endpoints). One instance per driver, its thread only.
 * <p>
 * A watched socket is read once its selector has found it readable, and then on each duty cycle until a read finds
 * it empty; the selector's readiness is level-triggered, so whatever arrives later is reported at its next select. The
 * thread that runs the driver must therefore select between duty cycles often enough: the directory's driver does so
 * after each duty cycle that did work and in its wait, and the links' driver whenever the {@code shared} thread may
 * not have (see {@link LinkDriver}); a selector that fails says every socket is readable, so they are all read. A
 * socket that is not watched (another supplier's, or a multi-destination subscription's destinations) is read on every
 * duty cycle, as Aeron does.
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
    private final BiConsumer<SelectableChannel, Runnable> watch;
    private final DriverArrivals arrivals;

    /**
     * @param watch    registers a socket with the selector of the thread that runs the driver, with what to run on
     *                 that thread each time the selector finds it readable.
     * @param arrivals told of data frames; null for none.
     */
    private SelectedEndpoints(final BiConsumer<SelectableChannel, Runnable> watch, final DriverArrivals arrivals)
    {
        this.watch = watch;
        this.arrivals = arrivals;
    }

    /**
     * Makes the driver open its receiving UDP endpoints through this class.
     *
     * @param context  the driver's context, before it starts.
     * @param watch    registers a socket with the selector of the thread that runs the driver, with what to run on
     *                 that thread each time the selector finds it readable.
     * @param arrivals told of data frames; null for none.
     */
    static void use(
        final MediaDriver.Context context,
        final BiConsumer<SelectableChannel, Runnable> watch,
        final DriverArrivals arrivals)
    {
        final SelectedEndpoints endpoints = new SelectedEndpoints(watch, arrivals);
        context.receiveChannelEndpointSupplier((udpChannel, dispatcher, statusIndicator, ctx) ->
            endpoints.new Receive(udpChannel, dispatcher, statusIndicator, ctx));
    }

    /**
     * Makes the links' driver open its receiving endpoints as {@link #use} does, without arrivals, and its sending
     * endpoints through this class too, watching their sockets.
     *
     * @param context the driver's context, before it starts.
     * @param watch   registers a socket with the selector of the thread that runs the driver, with what to run on
     *                that thread each time the selector finds it readable.
     */
    static void useForLinks(final MediaDriver.Context context, final BiConsumer<SelectableChannel, Runnable> watch)
    {
        final SelectedEndpoints endpoints = new SelectedEndpoints(watch, null);
        context
            .receiveChannelEndpointSupplier((udpChannel, dispatcher, statusIndicator, ctx) ->
                endpoints.new Receive(udpChannel, dispatcher, statusIndicator, ctx))
            .sendChannelEndpointSupplier((udpChannel, statusIndicator, ctx) ->
                endpoints.new Send(udpChannel, statusIndicator, ctx));
    }

    /** What one watched socket's selector last said of it, and whether a read has found it empty since. */
    private final class Readiness implements Runnable
    {
        private boolean watched;
        private boolean readable;

        void watch(final SelectableChannel channel)
        {
            if (null != channel)
            {
                watch.accept(channel, this);
                watched = true;
            }
        }

        /** The selector found the socket readable. */
        @Override
        public void run()
        {
            readable = true;
        }

        /** @return false while the socket is known to be empty: a read would be a system call that finds nothing. */
        boolean mayRead()
        {
            return readable || !watched;
        }

        /**
         * @param from the sender of what a read found, null if it found nothing.
         * @return from.
         */
        InetSocketAddress onRead(final InetSocketAddress from)
        {
            if (null == from)
            {
                readable = false;
            }
            return from;
        }
    }

    private final class Send extends SendChannelEndpoint
    {
        private final Readiness readiness = new Readiness();

        Send(final UdpChannel udpChannel, final AtomicCounter statusIndicator, final MediaDriver.Context context)
        {
            super(udpChannel, statusIndicator, context);
        }

        @Override
        public void openDatagramChannel(final AtomicCounter statusIndicator)
        {
            super.openDatagramChannel(statusIndicator);
            readiness.watch(receiveDatagramChannel()); // where status messages and NAKs for the publication arrive
        }

        @Override
        public InetSocketAddress receive(final ByteBuffer buffer)
        {
            return readiness.mayRead() ? readiness.onRead(super.receive(buffer)) : null;
        }
    }

    private final class Receive extends ReceiveChannelEndpoint
    {
        private final Readiness readiness = new Readiness();
        private final boolean link;

        Receive(
            final UdpChannel udpChannel,
            final DataPacketDispatcher dispatcher,
            final AtomicCounter statusIndicator,
            final MediaDriver.Context context)
        {
            super(udpChannel, dispatcher, statusIndicator, context);
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
            readiness.watch(receiveDatagramChannel());
        }

        @Override
        public InetSocketAddress receive(final ByteBuffer buffer)
        {
            return readiness.mayRead() ? readiness.onRead(super.receive(buffer)) : null;
        }
    }
}
