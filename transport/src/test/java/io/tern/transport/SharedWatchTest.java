/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.tern.transport.TestSockets.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A channel watched on the {@code shared} thread ({@link Transport#watchOnShared}), as the cluster watches its UDP
 * socket: readiness wakes the thread and reaches the channel's owner, the transport never reads it, and the reader's
 * own walks over its keys pass it by.
 */
@Timeout(30)
class SharedWatchTest
{
    private final List<String> datagrams = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Disconnect reasons the sink saw. */
    private final List<Integer> disconnects = new CopyOnWriteArrayList<>();
    private Transport transport;
    private AgentRunner sharedRunner;
    private Thread acceptorThread;
    private DatagramChannel watched;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (null != acceptorThread)
        {
            transport.stopAccepting();
            acceptorThread.join();
        }
        CloseHelper.closeAll(sharedRunner, transport, watched);
    }

    @Test
    void shouldHandAWatchedChannelsReadinessToItsOwnerAndLeaveItUnread() throws Exception
    {
        // Idle timeout on: the reader then walks its keys every 50 ms, the watched one among them.
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, 64, 1000, 2002, 256 * 1024L, 64L << 20, 256, 16, 4, IdleStrategyKind.BLOCK, 1000, 0,
            16, true, 400, 0, 0, 0);
        transport = new Transport(settings, this::onBatch);
        watched = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        watched.configureBlocking(false);
        final Owner owner = new Owner(watched);
        transport.watchOnShared(watched, owner::onReadable);
        final TransportAgent shared = transport.shared(owner);
        sharedRunner = new AgentRunner(shared.idleStrategy(), errors::add, null, shared.agent());
        transport.bind();
        AgentRunner.startOnThread(sharedRunner);
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();

        // The owner reads only when told the socket is readable: a datagram it never heard of stays unread.
        final List<String> sent = new ArrayList<>();
        try (DatagramChannel sender = DatagramChannel.open())
        {
            for (int i = 0; i < 20; i++)
            {
                final String text = "datagram " + i;
                sender.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), watched.getLocalAddress());
                sent.add(text);
                final int expected = i + 1;
                await(() -> datagrams.size() == expected, "datagram " + i + " reaches the channel's owner");
            }
        }
        assertEquals(sent, datagrams);
        assertTrue(owner.told >= 20, "told once per datagram at least: " + owner.told);

        // A named client left idle is cut by the idle timeout: the walk over the keys passed the watched one by.
        try (Socket client = new Socket("127.0.0.1", transport.localAddress().getPort()))
        {
            final OutputStream out = client.getOutputStream();
            out.write("alice\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await(() -> disconnects.contains(InboundBatch.REASON_IDLE_TIMEOUT), "the idle client is cut");
        }
        assertEquals(List.of(), errors, "the shared thread failed");
    }

    /** The sink, on the shared thread: records disconnects, hands every batch over. */
    private boolean onBatch(final InboundBatch batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            if (batch.type(i) == InboundBatch.DISCONNECT)
            {
                disconnects.add(batch.reason(i));
            }
            batch.arena().releaseTo(batch.endPosition(i));
        }
        return true;
    }

    /** The watched channel's owner, polled by the shared thread as the cluster's link reader is. */
    private final class Owner implements SinkConsumer
    {
        private final DatagramChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(256);
        private boolean readable;
        private volatile int told;

        Owner(final DatagramChannel channel)
        {
            this.channel = channel;
        }

        void onReadable()
        {
            readable = true;
            told++;
        }

        @Override
        public int poll()
        {
            if (!readable)
            {
                return 0;
            }
            readable = false;
            int read = 0;
            try
            {
                while (null != channel.receive(buffer.clear()))
                {
                    datagrams.add(new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII));
                    read++;
                }
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
            return read;
        }

        @Override
        public boolean isIdle()
        {
            return true;
        }
    }
}
