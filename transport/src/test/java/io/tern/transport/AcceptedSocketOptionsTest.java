/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import jdk.net.ExtendedSocketOptions;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Options the acceptor sets on every accepted socket: TCP keepalive, with its timing where the JDK offers it, so that
 * a peer whose host vanished without a reset is found.
 */
@Timeout(30)
class AcceptedSocketOptionsTest
{
    private static final int MAX_LINE = 1000;

    private final LinkedBlockingQueue<Connection> named = new LinkedBlockingQueue<>();
    private Transport transport;
    private AgentRunner readerRunner;
    private AgentRunner writerRunner;
    private Thread acceptorThread;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (null != transport)
        {
            transport.stopAccepting();
            acceptorThread.join();
            CloseHelper.closeAll(readerRunner, writerRunner, transport);
        }
    }

    @Test
    void shouldSetKeepAliveWithItsTimingOnAcceptedSockets() throws Exception
    {
        start(60);
        try (Socket client = connectAndName())
        {
            final Connection connection = named.poll(10, TimeUnit.SECONDS);
            assertNotNull(connection, "no connection within 10 s");
            assertTrue(connection.channel().getOption(StandardSocketOptions.SO_KEEPALIVE));
            if (connection.channel().supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE))
            {
                assertEquals(60, connection.channel().getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
                assertEquals(20, connection.channel().getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL));
                assertEquals(3, connection.channel().getOption(ExtendedSocketOptions.TCP_KEEPCOUNT));
            }
        }
    }

    @Test
    void shouldLeaveKeepAliveOffWhenSetToZero() throws Exception
    {
        start(0);
        try (Socket client = connectAndName())
        {
            final Connection connection = named.poll(10, TimeUnit.SECONDS);
            assertNotNull(connection, "no connection within 10 s");
            assertFalse(connection.channel().getOption(StandardSocketOptions.SO_KEEPALIVE));
        }
    }

    private void start(final int tcpKeepAliveS) throws IOException
    {
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, 64, MAX_LINE, 2 * (MAX_LINE + 2), 256 * 1024L, 64L << 20, 256, 16, 4,
            IdleStrategyKind.BLOCK, 1000, 0, 16, true, 0, 0, tcpKeepAliveS, 0);
        transport = new Transport(settings, this::onBatch);
        final TransportAgent reader = transport.reader(0);
        final TransportAgent writer = transport.writer(0);
        readerRunner = new AgentRunner(reader.idleStrategy(), Throwable::printStackTrace, null, reader.agent());
        writerRunner = new AgentRunner(writer.idleStrategy(), Throwable::printStackTrace, null, writer.agent());
        transport.bind();
        AgentRunner.startOnThread(writerRunner);
        AgentRunner.startOnThread(readerRunner);
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();
    }

    private Socket connectAndName() throws IOException
    {
        final Socket socket = new Socket("127.0.0.1", transport.localAddress().getPort());
        final OutputStream out = socket.getOutputStream();
        out.write("peer\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private boolean onBatch(final InboundBatch batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            if (batch.type(i) == InboundBatch.NEW_PEER)
            {
                named.add(batch.connection(i));
            }
            batch.arena().releaseTo(batch.endPosition(i));
        }
        return true;
    }
}
