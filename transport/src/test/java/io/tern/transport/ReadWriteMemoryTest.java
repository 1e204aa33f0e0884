/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Read and write memory follows traffic, over real loopback sockets with a test sink in place of the broker: a
 * connection between lines holds no read buffer, one with everything written holds no write buffer, a partial line
 * holds a pooled buffer sized to it until it completes, and what a partial write leaves is kept (and stamped) until
 * the socket takes it.
 */
@Timeout(60)
class ReadWriteMemoryTest
{
    private static final int MAX_LINE = 4000;
    private static final int READ_CHUNK = 1024;
    private static final int WRITE_BUFFER = 16 * 1024;

    private record Seen(int type, String text)
    {
    }

    private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private Transport transport;
    private AgentRunner readerRunner;
    private AgentRunner writerRunner;
    private Thread acceptorThread;
    private volatile boolean echo;
    private volatile int lastDisconnectReason = -1;
    private final List<Connection> named = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void start(final int maxQueuedBytesPerPeer) throws Exception
    {
        final TransportSettings settings = new TransportSettings(
            "127.0.0.1", 0, 1, 1, READ_CHUNK, MAX_LINE, 2 * (MAX_LINE + 2), maxQueuedBytesPerPeer, 64L << 20,
            WRITE_BUFFER, 512, 64, IdleStrategyKind.BLOCK, 1000, 0);
        transport = new Transport(settings, this::onBatch);
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
        if (null == transport)
        {
            return;
        }
        transport.stopAccepting();
        acceptorThread.join();
        CloseHelper.closeAll(readerRunner, writerRunner, transport);
    }

    private static AgentRunner runner(final TransportAgent agent)
    {
        return new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, null, agent.agent());
    }

    /** Runs on the reader thread, the single producer of every outbound ring here; echoes stamped when asked. */
    private boolean onBatch(final InboundBatch batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            final byte[] bytes = new byte[batch.length(i)];
            batch.arena().buffer().getBytes(batch.offset(i), bytes);
            final Connection connection = batch.connection(i);
            if (batch.type(i) == InboundBatch.NEW_PEER)
            {
                named.add(connection);
            }
            if (batch.type(i) == InboundBatch.DISCONNECT)
            {
                lastDisconnectReason = batch.reason(i); // before the event is seen
            }
            seen.add(new Seen(batch.type(i), new String(bytes, StandardCharsets.ISO_8859_1)));
            if (echo && batch.type(i) == InboundBatch.MESSAGE)
            {
                final Outbound out = connection.outbound();
                assertTrue(out.tryBegin(bytes.length + 1, batch.readNs(i), System.nanoTime()), "ring too small");
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

    private Socket connect(final int receiveBufferBytes) throws Exception
    {
        final Socket socket = new Socket();
        if (receiveBufferBytes > 0)
        {
            socket.setReceiveBufferSize(receiveBufferBytes); // before connect, so the window is small from the start
        }
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", transport.localAddress().getPort()));
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void await(final String what, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not within 20 s: " + what);
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldFrameALineSentOneByteAtATimeInABufferSizedToItAndGiveItBackWhenItCompletes() throws Exception
    {
        start(64 * 1024);
        final long baseMemory = transport.readWriteMemoryBytes();
        try (Socket socket = connect(0))
        {
            final OutputStream out = socket.getOutputStream();
            out.write("alice\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(new Seen(InboundBatch.NEW_PEER, "alice"), next());
            assertEquals(0, transport.partialLineBytes(), "between lines");

            final StringBuilder line = new StringBuilder();
            long sent = transport.bytesRead();
            for (int i = 0; i < 600; i++)
            {
                final char c = (char)('a' + i % 26);
                line.append(c);
                out.write(c); // one byte per segment: the line is assembled across 600 reads
                out.flush();
                sent++;
                if (i == 99 || i == 599)
                {
                    final long read = sent;
                    final int expected = i == 99 ? 256 : 1024; // 100 bytes in the 256 B class, 600 in the 1 KiB
                    await("the partial line of " + (i + 1) + " bytes in a " + expected + " B buffer",
                        () -> transport.bytesRead() == read && transport.partialLineBytes() == expected);
                }
            }
            out.write('\n');
            out.flush();

            assertEquals(new Seen(InboundBatch.MESSAGE, line.toString()), next());
            await("the partial line's buffer given back", () -> transport.partialLineBytes() == 0);

            // Lines that each arrive whole take no pooled memory at all.
            for (int i = 0; i < 100; i++)
            {
                out.write(("whole line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals("whole line " + i, next().text());
            }
            assertEquals(0, transport.partialLineBytes());
            assertTrue(transport.readWriteMemoryBytes() - baseMemory <= 256 + 512 + 1024,
                "at most one cached buffer per class used: " + (transport.readWriteMemoryBytes() - baseMemory));
        }
        assertEquals(InboundBatch.DISCONNECT, next().type());
    }

    @Test
    void shouldJoinALineOfExactlyTheMaximumAcrossReadsWithItsCarriageReturnAloneAtTheEndOfOne() throws Exception
    {
        start(64 * 1024);
        try (Socket socket = connect(0))
        {
            final OutputStream out = socket.getOutputStream();
            out.write("bob\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(InboundBatch.NEW_PEER, next().type());

            final String longest = "0123456789".repeat(MAX_LINE / 10);
            long sent = transport.bytesRead();
            for (int i = 0; i < MAX_LINE; i += 700) // each piece its own read: the line grows through the classes
            {
                sent = sendAndAwaitRead(out, longest.substring(i, Math.min(MAX_LINE, i + 700)), sent);
            }
            sent = sendAndAwaitRead(out, "\r", sent); // the '\r' ends a read, the '\n' starts the next
            sendAndAwaitRead(out, "\nrest of the next line", sent);
            assertEquals(new Seen(InboundBatch.MESSAGE, longest), next());
            await("the next line's start kept in its own small buffer", () -> transport.partialLineBytes() == 256);

            out.write(("\n" + "y".repeat(MAX_LINE + 1)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals(new Seen(InboundBatch.MESSAGE, "rest of the next line"), next());
            assertEquals(new Seen(InboundBatch.DISCONNECT, ""), next(), "one byte over: refused before its newline");
            assertEquals(InboundBatch.REASON_LINE_TOO_LONG, lastDisconnectReason);
            await("the refused line's buffer given back", () -> transport.partialLineBytes() == 0);
        }
    }

    private long sendAndAwaitRead(final OutputStream out, final String text, final long before) throws Exception
    {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        final long after = before + text.length();
        await("the broker to read " + after + " bytes", () -> transport.bytesRead() == after);
        return after;
    }

    @Test
    void shouldHoldNoReadOrWriteMemoryForIdleConnections() throws Exception
    {
        start(64 * 1024);
        final long baseMemory = transport.readWriteMemoryBytes();
        final int count = 200;
        final List<Socket> sockets = new ArrayList<>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                final Socket socket = connect(0);
                sockets.add(socket);
                socket.getOutputStream().write(("idle-" + i + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < count; i++)
            {
                assertEquals(InboundBatch.NEW_PEER, next().type());
            }

            await("every connection counted", () -> transport.connectionsOpen() == count);
            assertEquals(0, transport.partialLineBytes(), "no partial lines");
            assertEquals(0, transport.unwrittenBufferBytes(), "nothing unwritten");
            assertEquals(baseMemory, transport.readWriteMemoryBytes(),
                "read and staging memory does not grow with idle connections");
            assertEquals(count, named.size());
            for (final Connection connection : named)
            {
                // Read here, off their threads, once nothing moves: a test's look, not a protocol.
                assertEquals(null, connection.partial, "no partial line buffer");
                assertEquals(null, connection.unwritten, "no unwritten rest");
                assertEquals(null, connection.writeStamps, "no write stamps");
            }
        }
        finally
        {
            for (final Socket socket : sockets)
            {
                socket.close();
            }
        }
    }

    @Test
    void shouldKeepWhatAPartialWriteLeavesAndWriteEveryByteInOrderWithItsStamps() throws Exception
    {
        start(8 * 1024 * 1024);
        echo = true;
        try (Socket socket = connect(4096))
        {
            socket.getOutputStream().write("slow\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(InboundBatch.NEW_PEER, next().type());
            slowReaderRound(socket, 0);

            // Again, now that the pools hold what a rest takes: the writer allocates nothing for it.
            final long before = allocatedBytes("writer-0");
            slowReaderRound(socket, 1);
            final long allocated = allocatedBytes("writer-0") - before;
            assertTrue(allocated < 8 * 1024, "writer-0 allocated " + allocated + " B for 6 MB with partial writes");
        }
    }

    /**
     * Sends more than the kernel's socket buffers take (loopback send buffers grow to 4 MiB) and less than the ring,
     * reads nothing until a partial write has left a rest in a pooled buffer, then reads it all and checks it.
     */
    private void slowReaderRound(final Socket socket, final int round) throws Exception
    {
        final int messages = 2000;
        final int textBytes = 3000;
        // Take the interval so far (registration and earlier rounds are not this round's).
        transport.routeToWriteRecorder(0).getIntervalHistogram();
        transport.readToWriteRecorder(0).getIntervalHistogram();

        final OutputStream out = socket.getOutputStream();
        final StringBuilder expected = new StringBuilder();
        for (int i = 0; i < messages; i++)
        {
            final String text = ("round " + round + " message " + i + " ").repeat(textBytes / 10)
                .substring(0, textBytes);
            expected.append(text).append('\n');
        }
        final byte[] want = expected.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(want);
        out.flush();

        // The client does not read yet: the socket fills, a write is partial, and its rest waits in a buffer.
        await("a partial write's rest kept", () -> transport.unwrittenBufferBytes() > 0);
        final long notReadingSinceNs = System.nanoTime();
        assertTrue(transport.unwrittenBufferBytes() <= WRITE_BUFFER, "at most one staging buffer's worth");

        final byte[] got = new byte[want.length];
        final InputStream in = socket.getInputStream();
        final long readingFromNs = System.nanoTime();
        int n = 0;
        while (n < got.length)
        {
            final int r = in.read(got, n, got.length - n);
            assertTrue(r > 0, "closed after " + n + " bytes");
            n += r;
        }
        assertArrayEquals(want, got, "every byte, in order");
        // The volatile read each round keeps the plain field from being read once and for all.
        await("the rest's buffer and stamps given back",
            () -> transport.unwrittenBufferBytes() == 0 && null == named.get(0).writeStamps);

        // Each message recorded once, when its last byte was written; those held back waited for the reader.
        final Histogram routeToWrite = new Histogram(3);
        final Histogram readToWrite = new Histogram(3);
        await("every message's stamps recorded", () ->
        {
            routeToWrite.add(transport.routeToWriteRecorder(0).getIntervalHistogram());
            readToWrite.add(transport.readToWriteRecorder(0).getIntervalHistogram());
            return routeToWrite.getTotalCount() >= messages;
        });
        assertEquals(messages, routeToWrite.getTotalCount());
        assertEquals(messages, readToWrite.getTotalCount());
        assertTrue(routeToWrite.getMaxValue() >= readingFromNs - notReadingSinceNs,
            "the last message waited for the reader: " + routeToWrite.getMaxValue() + " ns");
        assertTrue(readToWrite.getMinValue() >= routeToWrite.getMinValue() &&
            readToWrite.getMaxValue() >= routeToWrite.getMaxValue(), "read-to-write includes route-to-write");
    }

    private static long allocatedBytes(final String threadName)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final Thread[] matches = Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().equals(threadName) && thread.isAlive())
            .toArray(Thread[]::new);
        assertEquals(1, matches.length, "one live thread named " + threadName);
        return threads.getThreadAllocatedBytes(matches[0].getId());
    }
}
