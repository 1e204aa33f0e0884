/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One reader driven from the test thread ({@code doWork()} called directly) over loopback sockets, with a small arena
 * so that reads land across its end, fill it, and wait for it: the edges of reading straight into the arena. The sink
 * plays the broker: it releases each line once seen, or holds every line (the broker behind) until told.
 */
@Timeout(30)
class ReaderTest
{
    private static final int ARENA = 256;
    private static final int MAX_LINE = 100;
    private static final int READ_CHUNK = 64;

    /** What the sink saw, one entry per event. */
    private record Seen(int type, String text, int offset, long endPosition)
    {
    }

    private final List<Seen> seen = new ArrayList<>();
    private ServerSocketChannel server;
    private final List<SocketChannel> channels = new ArrayList<>();
    private OutboundSegmentPool pool;
    private AtomicCounter bytesRead;
    private Reader reader;
    private LineArena arena;
    private boolean releasing = true;
    private long lastEndPosition;

    @BeforeEach
    void start() throws IOException
    {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        pool = OutboundSegmentPool.standalone(1024 * 1024, 64L << 20, 1024);
        bytesRead = TransportCounters.newCountersManager(1).newCounter("bytes read");
        reader = new Reader(0, 16, ARENA, 16, READ_CHUNK, MAX_LINE, 0, 0, 0, this::onBatch, IdleStrategyKind.BLOCK,
            bytesRead);
    }

    @AfterEach
    void stop()
    {
        reader.onClose();
        channels.forEach(CloseHelper::quietClose);
        CloseHelper.quietClose(server);
    }

    private boolean onBatch(final InboundBatch batch)
    {
        arena = batch.arena();
        for (int i = 0; i < batch.size(); i++)
        {
            final byte[] bytes = new byte[batch.length(i)];
            batch.arena().buffer().getBytes(batch.offset(i), bytes);
            seen.add(new Seen(batch.type(i), new String(bytes, StandardCharsets.US_ASCII), batch.offset(i),
                batch.endPosition(i)));
            assertTrue(batch.offset(i) + batch.length(i) <= ARENA, "a line is contiguous within the arena");
            lastEndPosition = batch.endPosition(i);
            if (releasing)
            {
                batch.arena().releaseTo(batch.endPosition(i));
            }
        }
        return true;
    }

    /** @return the client end of a new connection handed to the reader, with {@code handoff} to frame first. */
    private SocketChannel connect(final String handoff) throws IOException
    {
        final SocketChannel client = SocketChannel.open(server.getLocalAddress());
        final SocketChannel accepted = server.accept();
        channels.add(client);
        channels.add(accepted);
        accepted.configureBlocking(false);
        final Connection connection = new Connection(channels.size(), accepted, accepted.getRemoteAddress(), null, pool,
            TransportCounters.newCountersManager(1).newCounter("taken"), 0, 0);
        if (null != handoff)
        {
            connection.handoff = handoff.getBytes(StandardCharsets.US_ASCII);
        }
        assertTrue(reader.offer(connection));
        return client;
    }

    private static void send(final SocketChannel client, final String text) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining())
        {
            client.write(bytes);
        }
    }

    private void drive(final String what, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not within 10 s: " + what);
            reader.doWork();
        }
    }

    private static String line(final int index, final int length)
    {
        final StringBuilder line = new StringBuilder(length).append(index).append(':');
        while (line.length() < length)
        {
            line.append((char)('a' + (index + line.length()) % 26));
        }
        return line.toString();
    }

    @Test
    void shouldStartALineThatWouldStraddleTheEndAgainAtTheStartWhole() throws IOException
    {
        final StringBuilder input = new StringBuilder("alice\n");
        final int lines = 200;
        for (int i = 0; i < lines; i++)
        {
            input.append(line(i, 20 + (i * 7) % 80)).append(i % 3 == 0 ? "\r\n" : "\n");
        }
        send(connect(null), input.toString());

        drive("every line", () -> seen.size() == 1 + lines);
        assertEquals(new Seen(InboundBatch.NEW_PEER, "alice", 0, 6), seen.get(0));
        int wraps = 0;
        for (int i = 0; i < lines; i++)
        {
            final Seen event = seen.get(1 + i);
            assertEquals(InboundBatch.MESSAGE, event.type());
            assertEquals(line(i, 20 + (i * 7) % 80), event.text());
            wraps += event.offset() < seen.get(i).offset() ? 1 : 0;
        }
        assertTrue(wraps >= 20, "wrapped around the arena's end " + wraps + " times"); // ~14,000 bytes through 256
        assertEquals(0, reader.partialLineBytes());
    }

    @Test
    void shouldStopReadingWhileTheArenaIsFullAndReadTheRestOnceTheBrokerFreesIt() throws IOException
    {
        releasing = false; // the broker is behind: nothing is released until the test says so
        final StringBuilder input = new StringBuilder("bob\n");
        final int lines = 40;
        for (int i = 0; i < lines; i++)
        {
            input.append(line(i, 30)).append('\n');
        }
        send(connect(null), input.toString());

        drive("the arena full", () -> reader.isBlocked());
        final int seenWhileFull = seen.size();
        final long readWhileFull = bytesRead.get();
        assertTrue(seenWhileFull < 1 + lines, "some lines wait: " + seenWhileFull);
        assertTrue(readWhileFull < input.length(), "the rest stays in the socket: " + readWhileFull);
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(0, reader.doWork(), "no work while the arena is full");
        }
        assertTrue(reader.isBlocked());
        assertEquals(readWhileFull, bytesRead.get(), "nothing read while the arena is full");
        assertEquals(seenWhileFull, seen.size());

        releasing = true;
        arena.releaseTo(lastEndPosition);
        drive("every line", () -> seen.size() == 1 + lines);
        for (int i = 0; i < lines; i++)
        {
            assertEquals(line(i, 30), seen.get(1 + i).text());
        }
        assertFalse(reader.isBlocked());
    }

    @Test
    void shouldJoinALineSentOverManyReadsAndPublishItContiguous() throws IOException
    {
        final SocketChannel client = connect(null);
        send(client, "carol\n");
        drive("the name", () -> seen.size() == 1);
        // Another connection's lines between the pieces take the arena space the pieces were read into.
        final SocketChannel other = connect(null);
        send(other, "other\n");
        drive("the other's name", () -> seen.size() == 2);

        final String whole = line(7, MAX_LINE);
        int expected = 2;
        for (int i = 0; i < MAX_LINE; i += 9)
        {
            final long before = bytesRead.get();
            final String piece = whole.substring(i, Math.min(MAX_LINE, i + 9));
            send(client, piece);
            drive("a read of the piece at " + i, () -> bytesRead.get() == before + piece.length());
            assertTrue(reader.partialLineBytes() > 0, "kept with the connection, not in the arena");
            send(other, "#".repeat(40) + i + "\n");
            final int next = ++expected;
            drive("the other's line " + i, () -> seen.size() == next);
        }
        send(client, "\r\nnext\n");
        final int all = expected + 2;
        drive("the line and the next", () -> seen.size() == all);
        assertEquals(whole, seen.get(expected).text());
        assertEquals("next", seen.get(expected + 1).text());
        assertEquals(0, reader.partialLineBytes());
    }

    @Test
    void shouldReadAgainBehindALineThatAFullReadLeftOpenInsteadOfKeepingIt() throws IOException
    {
        // Sent before the reader looks: its first read fills the claim and stops inside the 90-byte line.
        final String whole = line(3, 90);
        send(connect(null), "dave\n" + whole + "\n" + whole + "\r\n");

        drive("the name and both lines", () -> seen.size() == 3);
        assertEquals("dave", seen.get(0).text());
        assertEquals(whole, seen.get(1).text());
        assertEquals(whole, seen.get(2).text());
        assertEquals(5, seen.get(1).offset(), "the line stayed where its first bytes were read");
        assertEquals(0, reader.readMemoryBytes(), "no line was kept outside the arena");
    }

    @Test
    void shouldKeepAShortLineThatAFullReadLeftOpenAsBefore() throws IOException
    {
        // The first read (64 bytes) ends 2 bytes into the third line: fewer than a sixteenth of a read, kept.
        final String first = line(4, 58);
        final String second = line(5, 30);
        send(connect(null), "ed\n" + first + "\n" + second + "\n");

        drive("the name and both lines", () -> seen.size() == 3);
        assertEquals(first, seen.get(1).text());
        assertEquals(second, seen.get(2).text());
        assertTrue(reader.readMemoryBytes() > 0, "the short open line was kept with the connection");
        assertEquals(0, reader.partialLineBytes());
    }

    @Test
    void shouldPublishLinesThatExactlyFillTheArenaThenWaitForRoom() throws IOException
    {
        releasing = false;
        // What the authenticator hands over is framed a read's worth at a time: each 64-byte line (63 and '\n') is
        // exactly one claim, so four of them end exactly at the arena's end.
        final String x = "x".repeat(READ_CHUNK - 1);
        connect(x + "\n" + x + "\n" + x + "\n" + x + "\n" + "y".repeat(10) + "\n");

        drive("the arena full", () -> seen.size() == 4 && reader.isBlocked());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(i * READ_CHUNK, seen.get(i).offset());
            assertEquals((i + 1L) * READ_CHUNK, seen.get(i).endPosition());
        }
        assertEquals(InboundBatch.NEW_PEER, seen.get(0).type());
        for (int i = 0; i < 100; i++)
        {
            reader.doWork();
        }
        assertEquals(4, seen.size(), "no room for the fifth line until the broker frees some");

        arena.releaseTo(lastEndPosition);
        drive("the fifth line", () -> seen.size() == 5);
        assertEquals(new Seen(InboundBatch.MESSAGE, "y".repeat(10), 0, ARENA + 11), seen.get(4));
    }

    @Test
    void shouldPublishAFinalLineWithoutNewlineJoinedAcrossReadsAndRefuseALineTooLong() throws IOException
    {
        final SocketChannel erin = connect(null);
        send(erin, "erin\nlast wo");
        drive("the name", () -> seen.size() == 1);
        send(erin, "rds");
        erin.close();
        drive("the last line and the end", () -> seen.size() == 3);
        assertEquals("last words", seen.get(1).text());
        assertEquals(InboundBatch.DISCONNECT, seen.get(2).type());

        final SocketChannel frank = connect(null);
        send(frank, "frank\n" + "z".repeat(MAX_LINE + 1) + "\nnever seen\n");
        drive("the name and the end", () -> seen.size() == 5);
        assertEquals("frank", seen.get(3).text());
        assertEquals(InboundBatch.DISCONNECT, seen.get(4).type());
        assertEquals(0, reader.partialLineBytes());
    }

    /**
     * The reader finds control characters in the same pass as line ends: each line is marked as holding one exactly
     * when {@link Protocol#indexOfControl} says so, wherever the control, a {@code \r}, a 0xC2 or a line end falls
     * within the scan's 8-byte words and 32-byte steps, and across reads (lines kept partial). Random lines from an
     * alphabet of the suspects and their neighbours, sent in pieces each read whole before the next is sent.
     */
    @Test
    void shouldMarkExactlyTheLinesHoldingAControlCharacterWhereverItFalls() throws IOException
    {
        final byte[] alphabet = {'a', 'b', ' ', ':', '\t', '\r', 0x01, 0x1B, 0x1F, 0x7F, (byte)0xC2, (byte)0x85,
            (byte)0x9F, (byte)0xA0, (byte)0xC3, (byte)0xFF};
        final java.util.Random random = new java.util.Random(42);
        final java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        input.writeBytes("alice\n".getBytes(StandardCharsets.US_ASCII));
        final List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 3_000; i++)
        {
            final int length = random.nextInt(MAX_LINE - 1);
            final byte[] line = new byte[length];
            for (int j = 0; j < length; j++)
            {
                // Mostly plain letters, so that clean words and long clean runs occur too.
                line[j] = random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : (byte)('c' + j % 20);
            }
            final boolean crlf = random.nextBoolean();
            // Without a "\r\n" of its own, a line's last '\r' becomes the one before its '\n': dropped.
            final int textLength = !crlf && length > 0 && line[length - 1] == '\r' ? length - 1 : length;
            final boolean control = Protocol.indexOfControl(new UnsafeBuffer(line), 0, textLength) >= 0;
            expected.add(control ? InboundBatch.CONTROL_LINE : InboundBatch.MESSAGE);
            input.writeBytes(line);
            input.writeBytes(crlf ? new byte[]{'\r', '\n'} : new byte[]{'\n'});
        }
        final byte[] bytes = input.toByteArray();
        final SocketChannel client = connect(null);
        int sent = 0;
        while (sent < bytes.length)
        {
            final int piece = Math.min(bytes.length - sent, 1 + random.nextInt(2 * READ_CHUNK));
            final long before = bytesRead.get();
            final ByteBuffer buffer = ByteBuffer.wrap(bytes, sent, piece);
            while (buffer.hasRemaining())
            {
                client.write(buffer);
            }
            sent += piece;
            drive("a read of the piece ending at " + sent, () -> bytesRead.get() == before + piece);
        }
        drive("every line", () -> seen.size() == 1 + expected.size());

        int controls = 0;
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(expected.get(i), seen.get(1 + i).type(), "line " + i);
            controls += expected.get(i) == InboundBatch.CONTROL_LINE ? 1 : 0;
        }
        assertTrue(controls > 100 && controls < expected.size() - 100, "both kinds of line were tried: " + controls);
    }
}
