/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport alone, over real loopback sockets, with a test sink in place of the broker. The sink refuses every
 * other batch, so the readers' back-pressure path (keep, stop reading, retry) is on the path of every test.
 */
@Timeout(30)
class TransportTest
{
    private static final int MAX_LINE = 1000;

    /** What the sink saw, one entry per event. */
    private record Seen(int type, int reason, long connectionId, String text)
    {
    }

    private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private Transport transport;
    private AgentRunner readerRunner;
    private AgentRunner writerRunner;
    private Thread acceptorThread;
    private int refusals;
    private boolean echo;

    @BeforeEach
    void start() throws Exception
    {
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, 64, MAX_LINE, 2 * (MAX_LINE + 2), 256 * 1024L, 64L << 20, 256, 16, 4,
            IdleStrategyKind.BLOCK, 1000, 0);
        transport = new Transport(settings, this::onBatch);
        // A thread per agent, as the broker's dedicated threading mode runs them.
        readerRunner = runner(transport.reader(0));
        writerRunner = runner(transport.writer(0));
        transport.bind();
        AgentRunner.startOnThread(writerRunner);
        AgentRunner.startOnThread(readerRunner);
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();
    }

    @AfterEach
    void stop() throws InterruptedException
    {
        transport.stopAccepting();
        acceptorThread.join();
        CloseHelper.closeAll(readerRunner, writerRunner, transport);
    }

    private static AgentRunner runner(final TransportAgent agent)
    {
        return new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, null, agent.agent());
    }

    /** Runs on the reader thread, which makes it the single producer of every outbound ring in these tests. */
    private boolean onBatch(final InboundBatch batch)
    {
        if ((refusals++ & 1) == 0)
        {
            return false;
        }
        for (int i = 0; i < batch.size(); i++)
        {
            final byte[] bytes = new byte[batch.length(i)];
            batch.arena().buffer().getBytes(batch.offset(i), bytes);
            final Connection connection = batch.connection(i);
            seen.add(new Seen(batch.type(i), batch.reason(i), connection.id(),
                new String(bytes, StandardCharsets.ISO_8859_1)));
            if (echo && batch.type(i) == InboundBatch.MESSAGE)
            {
                final Outbound out = connection.outbound();
                // The ring holds every echo of the test even if the writer never ran, so this cannot be refused.
                assertTrue(out.tryBegin(bytes.length + 1));
                out.append(bytes);
                out.append((byte)'\n');
                out.commit();
                transport.schedule(connection);
            }
            batch.arena().releaseTo(batch.endPosition(i));
        }
        transport.wakeWriters();
        return true;
    }

    private Seen next() throws InterruptedException
    {
        final Seen event = seen.poll(10, TimeUnit.SECONDS);
        assertNotNull(event, "no event within 10 s");
        return event;
    }

    private Socket connect()
    {
        try
        {
            final Socket socket = new Socket("127.0.0.1", transport.localAddress().getPort());
            socket.setSoTimeout(10_000);
            return socket;
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldCloseAConnectionTheSinkNeverSawWhenTheAgentsClose() throws Exception
    {
        try (Socket socket = connect())
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (transport.connectionsAccepted() < 1)
            {
                assertTrue(System.nanoTime() < deadlineNs, "not accepted within 10 s");
                Thread.onSpinWait();
            }

            stop(); // the runners close their agents: the writer closes what it was handed, sent nothing or not

            assertEquals(-1, socket.getInputStream().read(), "closed by the broker side");
            assertTrue(seen.isEmpty(), "the sink saw nothing: " + seen);
        }
    }

    @Test
    void shouldFrameLinesSplitAcrossWritesAndDropTheCarriageReturn() throws Exception
    {
        try (Socket socket = connect())
        {
            final OutputStream out = socket.getOutputStream();
            final byte[] input = "alice\r\nbob: one\n\nbob:two\r\n".getBytes(StandardCharsets.US_ASCII);
            for (final byte b : input)
            {
                out.write(b); // one byte per segment: every line is assembled across reads
                out.flush();
            }

            assertEquals(new Seen(InboundBatch.NEW_PEER, 0, 0, "alice"), next());
            assertEquals(new Seen(InboundBatch.MESSAGE, 0, 0, "bob: one"), next());
            assertEquals(new Seen(InboundBatch.MESSAGE, 0, 0, ""), next());
            assertEquals(new Seen(InboundBatch.MESSAGE, 0, 0, "bob:two"), next());
        }
        assertEquals(new Seen(InboundBatch.DISCONNECT, InboundBatch.REASON_CLOSED, 0, ""), next());
    }

    @Test
    void shouldPublishTheFinalLineWithoutNewlineBeforeTheDisconnect() throws Exception
    {
        try (Socket socket = connect())
        {
            socket.getOutputStream().write("carol\nbob: last words".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(InboundBatch.NEW_PEER, next().type());
        assertEquals(new Seen(InboundBatch.MESSAGE, 0, 0, "bob: last words"), next());
        assertEquals(InboundBatch.DISCONNECT, next().type());
    }

    @Test
    void shouldAcceptALineOfExactlyTheMaximumAndRefuseOneByteMore() throws Exception
    {
        final String longest = "x".repeat(MAX_LINE);
        try (Socket socket = connect())
        {
            final OutputStream out = socket.getOutputStream();
            out.write(("dave\n" + longest + "\r\n" + longest + "y\nnever seen\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();

            assertEquals(InboundBatch.NEW_PEER, next().type());
            assertEquals(longest, next().text());
            final Seen disconnect = next();
            assertEquals(InboundBatch.DISCONNECT, disconnect.type());
            assertEquals(InboundBatch.REASON_LINE_TOO_LONG, disconnect.reason());
        }
    }

    @Test
    void shouldDeliverEveryLineInOrderThroughBackPressure() throws Exception
    {
        final int lines = 20_000;
        try (Socket socket = connect())
        {
            final StringBuilder all = new StringBuilder("erin\n");
            for (int i = 0; i < lines; i++)
            {
                all.append("x: ").append(i).append('\n');
            }
            socket.getOutputStream().write(all.toString().getBytes(StandardCharsets.US_ASCII));

            assertEquals(InboundBatch.NEW_PEER, next().type());
            for (int i = 0; i < lines; i++)
            {
                assertEquals("x: " + i, next().text());
            }
        }
    }

    @Test
    void shouldWriteWhatIsPutInTheOutboundRingInOrder() throws Exception
    {
        echo = true;
        final int lines = 5_000;
        try (Socket socket = connect())
        {
            final Thread sender = new Thread(() ->
            {
                try
                {
                    final OutputStream out = socket.getOutputStream();
                    out.write("frank\n".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < lines; i++)
                    {
                        out.write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                }
                catch (final Exception ex)
                {
                    throw new AssertionError(ex);
                }
            });
            sender.start();

            final BufferedReader in = new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            final List<String> received = new ArrayList<>();
            for (int i = 0; i < lines; i++)
            {
                received.add(in.readLine());
            }
            sender.join(10_000);
            for (int i = 0; i < lines; i++)
            {
                assertEquals("line " + i, received.get(i));
            }
        }
    }
}
