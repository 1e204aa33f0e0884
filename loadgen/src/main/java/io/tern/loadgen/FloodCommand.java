/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.tern.transport.Protocol;

/**
 * {@code flood}: the misbehaving pair of the flooded-receiver memory target, to run beside a measurement. A
 * receiver registers, reads its own ready line and then never reads again; a sender writes lines to it as fast as the
 * broker takes them.
 * When the broker cuts the receiver (its outbound ring is full: a slow consumer), the sender's next lines come back as
 * {@code error: no peer}, and a new receiver registers and the flood goes on, until the time is up.
 * <p>
 * The sender writes with blocking writes, so when the broker stops reading it (back-pressure) the flood waits in the
 * kernel rather than spinning: on a machine where the flood shares cores with the broker and the peers it measures,
 * the flood then costs what a flood from another machine would cost the broker, not a core of busy-waiting.
 * Not a hot path: it allocates as it likes. It speaks the line protocol itself, not through the client library: its
 * receiver must never read and its sender must block in the kernel, two things a well-behaved client never does.
 */
@Command(
    name = "flood",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = "Floods receivers that never read: each is cut by the broker as a slow consumer, then a new one " +
        "registers, until the time is up. Prints one line a second. Run it beside a loadgen run to measure what a " +
        "flood costs other peers.")
public final class FloodCommand implements Callable<Integer>
{
    private static final int BATCH_BYTES = 64 * 1024;
    /** The receivers' socket receive buffer: small, so the broker's outbound ring is what fills. */
    private static final int VICTIM_RECEIVE_BUFFER = 4096;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "broker address")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "broker port")
    int port;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS", description = "how long to flood")
    int durationSeconds;

    @Option(names = "--message-bytes", defaultValue = "64", paramLabel = "N", description = "text bytes per line")
    int messageBytes;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "LINES",
        description = "lines per second, sent in batches of 64 KiB; 0 floods as fast as the broker takes them")
    long rate;

    @Option(names = "--name-prefix", defaultValue = "flood-", paramLabel = "TEXT", description = "prefix of names")
    String namePrefix;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final InetSocketAddress address = new InetSocketAddress(host, port);
        final String senderName = namePrefix + "sender";
        for (final String name : new String[]{ senderName, namePrefix + "victim-" + Integer.MAX_VALUE })
        {
            final Protocol.NameError invalid = Protocol.checkName(name, Protocol.DEFAULT_MAX_NAME_BYTES);
            if (null != invalid)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name-prefix=" + namePrefix +
                    ": names such as '" + name + "' break tern's name rule: " +
                    invalid.reason(Protocol.DEFAULT_MAX_NAME_BYTES));
            }
        }
        final AtomicLong cuts = new AtomicLong();
        final AtomicLong otherReplies = new AtomicLong();
        long lines = 0;

        try (Socket sender = connect(address, senderName, 0))
        {
            final Thread replies = new Thread(() -> countCuts(sender, cuts, otherReplies), "flood-replies");
            replies.setDaemon(true);
            replies.start();
            final OutputStream senderOut = sender.getOutputStream();
            final long startNs = System.nanoTime();
            final long endNs = startNs + TimeUnit.SECONDS.toNanos(durationSeconds);
            long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(1);
            long linesAtReport = 0;
            int victimIndex = 0;
            while (System.nanoTime() - endNs < 0)
            {
                final String victimName = namePrefix + "victim-" + victimIndex;
                final long cutsBefore = cuts.get();
                try (Socket victim = connect(address, victimName, VICTIM_RECEIVE_BUFFER))
                {
                    final String line = victimName + ": " + "f".repeat(messageBytes) + "\n";
                    final int linesPerBatch = BATCH_BYTES / line.length();
                    final byte[] batch = line.repeat(linesPerBatch).getBytes(StandardCharsets.US_ASCII);
                    final long batchIntervalNs = rate > 0 ? TimeUnit.SECONDS.toNanos(linesPerBatch) / rate : 0;
                    while (cuts.get() == cutsBefore && System.nanoTime() - endNs < 0)
                    {
                        try
                        {
                            senderOut.write(batch);
                        }
                        catch (final IOException ex)
                        {
                            out.printf(Locale.ROOT, "flood ended after %,d lines: the broker closed the sender " +
                                "(%s); it cuts a sender that does not read its replies as a slow consumer too%n",
                                lines, ex);
                            out.flush();
                            return 1;
                        }
                        lines += linesPerBatch;
                        if (batchIntervalNs > 0)
                        {
                            final long dueNs = startNs + lines / linesPerBatch * batchIntervalNs;
                            long waitNs;
                            while ((waitNs = dueNs - System.nanoTime()) > 0)
                            {
                                LockSupport.parkNanos(waitNs);
                            }
                        }
                        final long nowNs = System.nanoTime();
                        if (nowNs - nextReportNs >= 0)
                        {
                            out.printf(Locale.ROOT, "[%5.1fs] flood %,d lines/s, %d receivers cut%n",
                                (nowNs - startNs) / 1e9, lines - linesAtReport, cuts.get());
                            out.flush();
                            linesAtReport = lines;
                            nextReportNs += TimeUnit.SECONDS.toNanos(1);
                        }
                    }
                }
                victimIndex++;
            }
        }
        out.printf(Locale.ROOT,
            "flood done: %,d lines sent in %d s, %d receivers cut as slow consumers, %d other replies%n",
            lines, durationSeconds, cuts.get(), otherReplies.get());
        out.flush();
        return 0;
    }

    /** Connects and registers a peer: its name, then a line to itself, read back so the name is known in effect. */
    private static Socket connect(final InetSocketAddress address, final String name, final int receiveBuffer)
        throws IOException
    {
        final Socket socket = new Socket();
        if (receiveBuffer > 0)
        {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(address, 10_000);
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((name + "\n" + name + ": ready\n").getBytes(StandardCharsets.US_ASCII));
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = socket.getInputStream().read()) != '\n')
        {
            if (c < 0)
            {
                throw new IOException(name + ": the broker closed the connection while registering: " + line);
            }
            line.append((char)c);
        }
        if (!line.toString().equals("from " + name + ": ready"))
        {
            throw new IOException(name + ": the broker answered '" + line + "' while registering");
        }
        socket.setSoTimeout(0);
        return socket;
    }

    /**
     * The sender's replies, read as bytes (a flood after a cut comes back as one {@code error: no peer} line per line
     * sent, millions a second): a cut is the first such error naming a receiver not seen before.
     */
    private static void countCuts(final Socket sender, final AtomicLong cuts, final AtomicLong otherReplies)
    {
        final byte[] buffer = new byte[256 * 1024];
        final byte[] noPeer = Protocol.NO_PEER_PREFIX.getBytes(StandardCharsets.US_ASCII);
        final byte[] lastCut = new byte[256];
        int lastCutLength = -1;
        try
        {
            final InputStream in = sender.getInputStream();
            int filled = 0;
            int read;
            while ((read = in.read(buffer, filled, buffer.length - filled)) > 0)
            {
                filled += read;
                int lineStart = 0;
                for (int i = 0; i < filled; i++)
                {
                    if (buffer[i] != '\n')
                    {
                        continue;
                    }
                    if (startsWith(buffer, lineStart, i, noPeer))
                    {
                        // The name between the quotes; a new one is a new cut.
                        final int nameStart = lineStart + noPeer.length;
                        final int nameLength = Math.min(lastCut.length, Math.max(0, i - 1 - nameStart));
                        if (nameLength != lastCutLength ||
                            !Arrays.equals(buffer, nameStart, nameStart + nameLength, lastCut, 0, nameLength))
                        {
                            System.arraycopy(buffer, nameStart, lastCut, 0, nameLength);
                            lastCutLength = nameLength;
                            cuts.incrementAndGet();
                        }
                    }
                    else
                    {
                        otherReplies.incrementAndGet();
                    }
                    lineStart = i + 1;
                }
                System.arraycopy(buffer, lineStart, buffer, 0, filled - lineStart);
                filled -= lineStart;
                if (filled == buffer.length)
                {
                    filled = 0; // no line is this long; drop it
                }
            }
        }
        catch (final IOException ignore)
        {
            // The sender closed: the flood is over.
        }
    }

    private static boolean startsWith(final byte[] buffer, final int start, final int end, final byte[] prefix)
    {
        if (end - start < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (buffer[start + i] != prefix[i])
            {
                return false;
            }
        }
        return true;
    }
}
