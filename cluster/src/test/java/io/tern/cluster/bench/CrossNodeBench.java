/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Cross-node ping-pong, throughput and name-claim latency between two broker endpoints, for tern (line protocol) and
 * nats-server (its text protocol, subjects for names): one client on endpoint A, one on endpoint B. Run by
 * {@code cluster/bench.sh}; with A and B the same endpoint it measures a single node. Prints one line per result.
 * <pre>
 *   CrossNodeBench tern|nats HOST:PORT_A HOST:PORT_B [rounds] [throughput-messages] [message-bytes]
 * </pre>
 * Not a load generator (that is the loadgen's job): one pair, closed loop, coordinated omission not corrected.
 */
public final class CrossNodeBench
{
    private CrossNodeBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final boolean nats = args[0].equals("nats");
        final InetSocketAddress a = address(args[1]);
        final InetSocketAddress b = address(args[2]);
        final int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 20_000;
        final int messages = args.length > 4 ? Integer.parseInt(args[4]) : 500_000;
        final int messageBytes = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        final String payload = "x".repeat(messageBytes);
        final String label = args[0] + " " + args[1] + (args[1].equals(args[2]) ? " (one node)" : " -> " + args[2]);

        try (Peer pa = new Peer(a, nats, "pa");
            Peer pb = new Peer(b, nats, "pb"))
        {
            pa.awaitRoute(pb);
            pb.awaitRoute(pa);
            final Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            pingPong(pa, pb, payload, rounds / 5, null);
            pingPong(pa, pb, payload, rounds, rtt);
            System.out.printf("%s ping-pong %d rounds, round trip us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f%n",
                label, rounds, us(rtt, 50), us(rtt, 90), us(rtt, 99), us(rtt, 99.9), rtt.getMaxValue() / 1000.0);

            final double rate = throughput(pa, pb, payload, messages);
            System.out.printf("%s throughput %d messages of %d bytes: %.0f msg/s%n", label, messages, messageBytes, rate);
        }
        if (!nats)
        {
            final Histogram claims = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            for (int i = 0; i < 200; i++)
            {
                final long startNs = System.nanoTime();
                try (Peer peer = new Peer(b, false, "claim-" + i))
                {
                    peer.send("claim-" + i + ": self");
                    final String line = peer.read();
                    if (!line.startsWith("from "))
                    {
                        throw new IllegalStateException("claim-" + i + ": " + line);
                    }
                    claims.recordValue(System.nanoTime() - startNs);
                }
            }
            System.out.printf("%s claim (connect, name granted, first message back) us: p50=%.1f p99=%.1f max=%.1f%n",
                label, us(claims, 50), us(claims, 99), claims.getMaxValue() / 1000.0);
        }
    }

    private static void pingPong(final Peer pa, final Peer pb, final String payload, final int rounds,
        final Histogram rtt) throws IOException
    {
        for (int i = 0; i < rounds; i++)
        {
            final long startNs = System.nanoTime();
            pa.sendTo("pb", payload);
            pb.receive();
            pb.sendTo("pa", payload);
            pa.receive();
            if (null != rtt)
            {
                rtt.recordValue(System.nanoTime() - startNs);
            }
        }
    }

    private static double throughput(final Peer pa, final Peer pb, final String payload, final int messages)
        throws Exception
    {
        final CompletableFuture<Long> done = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                for (int i = 0; i < messages; i++)
                {
                    pb.receive();
                }
                return System.nanoTime();
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        final long startNs = System.nanoTime();
        for (int i = 0; i < messages; i++)
        {
            pa.queueTo("pb", payload);
        }
        pa.flush();
        final long endNs = done.get(120, TimeUnit.SECONDS);
        return messages * 1e9 / (endNs - startNs);
    }

    private static double us(final Histogram histogram, final double percentile)
    {
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    private static InetSocketAddress address(final String hostPort)
    {
        final int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** One client: a tern peer named {@code name}, or a nats connection subscribed to subject {@code name}. */
    private static final class Peer implements AutoCloseable
    {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        private final boolean nats;
        private final String name;
        private final StringBuilder pending = new StringBuilder(1 << 16);

        Peer(final InetSocketAddress address, final boolean nats, final String name) throws IOException
        {
            this.nats = nats;
            this.name = name;
            socket = new Socket();
            socket.connect(address, 5000);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
            out = socket.getOutputStream();
            if (nats)
            {
                in.readLine(); // INFO
                send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB " + name + " 1");
            }
            else
            {
                send(name);
            }
        }

        /** Sends until the other side gets one: the name (or the subscription) is known on every node. */
        void awaitRoute(final Peer to) throws IOException
        {
            final String toName = to.name;
            socket.setSoTimeout(30_000);
            to.socket.setSoTimeout(100);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true)
            {
                sendTo(toName, "route");
                try
                {
                    to.receive();
                    break;
                }
                catch (final java.net.SocketTimeoutException ex)
                {
                    if (System.nanoTime() > deadlineNs)
                    {
                        throw ex;
                    }
                }
            }
            // Drop what the first tries left behind (late copies, no-peer errors).
            try
            {
                while (true)
                {
                    to.in.readLine();
                }
            }
            catch (final java.net.SocketTimeoutException ex)
            {
                to.socket.setSoTimeout(30_000);
            }
            socket.setSoTimeout(100);
            try
            {
                while (true)
                {
                    in.readLine();
                }
            }
            catch (final java.net.SocketTimeoutException ex)
            {
                socket.setSoTimeout(30_000);
            }
        }

        void send(final String line) throws IOException
        {
            out.write((line + (nats ? "\r\n" : "\n")).getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void sendTo(final String to, final String text) throws IOException
        {
            queueTo(to, text);
            flush();
        }

        void queueTo(final String to, final String text) throws IOException
        {
            if (nats)
            {
                pending.append("PUB ").append(to).append(' ').append(text.length()).append("\r\n").append(text)
                    .append("\r\n");
            }
            else
            {
                pending.append(to).append(": ").append(text).append('\n');
            }
            if (pending.length() > 60_000)
            {
                flush();
            }
        }

        void flush() throws IOException
        {
            out.write(pending.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            pending.setLength(0);
        }

        /** Reads one delivered message (answering the server's PINGs on the way). */
        void receive() throws IOException
        {
            while (true)
            {
                final String line = in.readLine();
                if (null == line)
                {
                    throw new IOException("closed");
                }
                if (nats)
                {
                    if (line.startsWith("MSG "))
                    {
                        in.readLine(); // the payload
                        return;
                    }
                    if (line.equals("PING"))
                    {
                        send("PONG");
                    }
                    continue;
                }
                if (line.startsWith("from "))
                {
                    return;
                }
                throw new IOException("unexpected: " + line);
            }
        }

        String read() throws IOException
        {
            return in.readLine();
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }
}
