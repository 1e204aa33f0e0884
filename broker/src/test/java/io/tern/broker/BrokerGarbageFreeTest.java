/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The hot path stays garbage-free with every observability feature on (admin endpoint scraped during the run, /connz
 * and the dashboard's data included, the stats line, interval logs): bytes allocated by the threads
 * {@code reader-0}, {@code broker} and {@code writer-0} between two points of steady message flow, measured with
 * {@code ThreadMXBean.getThreadAllocatedBytes}.
 * <p>
 * Connection events and their log lines allocate, so the peers connect and a warm-up runs (and the JIT compiles the
 * path) before the first measurement; only message traffic runs between the two.
 * <p>
 * The sender cuts every write in the middle of a line, so partial lines (kept in pooled buffers between reads) are on
 * the measured path too (a few hundred per run, where the two halves arrive in separate reads). Partial writes are
 * measured by the transport's own test of them, {@code ReadWriteMemoryTest}.
 */
class BrokerGarbageFreeTest extends BrokerTestSupport
{
    private static final String[] DEDICATED_HOT_THREADS = {"reader-0", "broker", "writer-0"};
    private static final String[] SHARED_HOT_THREADS = {"shared"};
    private static final int WARM_UP_MESSAGES = 100_000;
    /** A million, our target for a garbage-free run; {@code -Dtern.garbageFree.messages=N} (at least 100k) for another count. */
    private static final int MEASURED_MESSAGES = Integer.getInteger("tern.garbageFree.messages", 1_000_000);
    /** Well under one byte per message: any per-message allocation (16 bytes or more) would blow it. */
    private static final long MAX_ALLOCATED_BYTES = 64 * 1024;
    private static final int LINES_PER_WRITE = 200;
    private static final int MAX_IN_FLIGHT = 20_000;

    @ParameterizedTest(name = "threading={0}")
    @ValueSource(strings = { "dedicated", "shared" })
    @Timeout(120)
    void shouldNotAllocatePerMessageOnTheReaderBrokerOrWriterThreadWithMetricsOn(
        final String threading, @TempDir final Path logDir) throws Exception
    {
        final String[] hotThreads = threading.equals("shared") ? SHARED_HOT_THREADS : DEDICATED_HOT_THREADS;
        startBroker(new BrokerConfig()
            .threading(threading)
            .maxQueuedBytesPerPeer(4 * 1024 * 1024)
            .statsIntervalMs(1000)
            .histogramLogDir(logDir));
        final AdminClient admin = new AdminClient(broker.adminAddress());
        register("tx").close();
        register("rx").close();

        // Plain sockets from here: the test's own threads may allocate freely, the broker's must not.
        try (Socket tx = new Socket(address.getAddress(), address.getPort());
            Socket rx = new Socket(address.getAddress(), address.getPort()))
        {
            tx.setTcpNoDelay(true);
            final OutputStream txOut = tx.getOutputStream();
            txOut.write("tx\n".getBytes(StandardCharsets.US_ASCII));
            rx.getOutputStream().write("rx\nrx: ready\n".getBytes(StandardCharsets.US_ASCII));
            final AtomicLong received = new AtomicLong();
            final Future<Void> reader = executor.submit(() -> countLines(rx.getInputStream(), received));
            awaitCondition("rx to be registered", Duration.ofSeconds(10), () -> received.get() == 1);
            received.set(0);

            send(txOut, received, 0, WARM_UP_MESSAGES);
            final Map<String, Long> before = allocatedBytes(hotThreads);
            final long deliveredBefore = broker.messagesDelivered();

            send(txOut, received, WARM_UP_MESSAGES, MEASURED_MESSAGES, admin);

            final Map<String, Long> after = allocatedBytes(hotThreads);
            final long delivered = broker.messagesDelivered() - deliveredBefore;
            assertEquals(MEASURED_MESSAGES, delivered, "every measured message delivered");
            assertEquals(0, broker.slowConsumerDisconnects());

            final StringBuilder report = new StringBuilder();
            long total = 0;
            for (final String thread : hotThreads)
            {
                final long bytes = after.get(thread) - before.get(thread);
                total += bytes;
                report.append(String.format("%s %,d B (%.4f B/msg); ", thread, bytes, bytes / (double)delivered));
            }
            System.out.printf("allocated while %,d messages flowed: %stotal %,d B%n", delivered, report, total);
            assertTrue(total < MAX_ALLOCATED_BYTES, "allocated on the hot path: " + report);

            rx.shutdownOutput();
            tx.shutdownOutput();
            reader.cancel(true);
        }
    }

    /**
     * Peers that read everything give their outbound segments back and take them again for the next message: two
     * receivers, one message at a time, alternately, so each goes idle (and its segment back to the pool) while the
     * other is sent to. The pool and the chain must be as garbage-free as the flow itself.
     */
    @ParameterizedTest(name = "threading={0}")
    @ValueSource(strings = { "dedicated", "shared" })
    @Timeout(120)
    void shouldNotAllocateWhileIdlePeersGiveBackAndRetakeTheirSegments(final String threading) throws Exception
    {
        final String[] hotThreads = threading.equals("shared") ? SHARED_HOT_THREADS : DEDICATED_HOT_THREADS;
        startBroker(new BrokerConfig().threading(threading));
        register("tx").close();
        register("rxa").close();
        register("rxb").close();
        try (Socket tx = new Socket(address.getAddress(), address.getPort());
            Socket rxa = new Socket(address.getAddress(), address.getPort());
            Socket rxb = new Socket(address.getAddress(), address.getPort()))
        {
            tx.setTcpNoDelay(true);
            final OutputStream txOut = tx.getOutputStream();
            txOut.write("tx\n".getBytes(StandardCharsets.US_ASCII));
            final java.io.BufferedReader inA = registerPlain(rxa, "rxa");
            final java.io.BufferedReader inB = registerPlain(rxb, "rxb");

            alternate(txOut, inA, inB, 0, 5_000);
            final Map<String, Long> before = allocatedBytes(hotThreads);
            final long deliveredBefore = broker.messagesDelivered();
            final long segmentsBefore = broker.outboundMemoryAllocatedBytes();
            final int rounds = 20_000;
            alternate(txOut, inA, inB, 5_000, rounds);
            final Map<String, Long> after = allocatedBytes(hotThreads);
            assertEquals(2L * rounds, broker.messagesDelivered() - deliveredBefore, "every measured message delivered");
            assertEquals(segmentsBefore, broker.outboundMemoryAllocatedBytes(), "segments reused, none allocated");

            long total = 0;
            final StringBuilder report = new StringBuilder();
            for (final String thread : hotThreads)
            {
                final long bytes = after.get(thread) - before.get(thread);
                total += bytes;
                report.append(String.format("%s %,d B; ", thread, bytes));
            }
            System.out.printf("allocated while %,d messages went to peers going idle in turn: %stotal %,d B%n",
                2 * rounds, report, total);
            assertTrue(total < MAX_ALLOCATED_BYTES, "allocated on the hot path: " + report);
            awaitCondition("the receivers' segments to come back", Duration.ofSeconds(20),
                () -> broker.outboundMemoryInUseBytes() == 0);
        }
    }

    private static java.io.BufferedReader registerPlain(final Socket socket, final String name) throws Exception
    {
        socket.getOutputStream().write((name + "\n" + name + ": ready\n").getBytes(StandardCharsets.US_ASCII));
        final java.io.BufferedReader in = new java.io.BufferedReader(
            new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("from " + name + ": ready", in.readLine());
        return in;
    }

    private static void alternate(final OutputStream txOut, final java.io.BufferedReader inA,
        final java.io.BufferedReader inB, final int first, final int rounds) throws Exception
    {
        for (int i = first; i < first + rounds; i++)
        {
            txOut.write(("rxa: " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals("from tx: " + i, inA.readLine());
            txOut.write(("rxb: " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals("from tx: " + i, inB.readLine());
        }
    }

    /** Sends {@code count} lines to rx, at most {@link #MAX_IN_FLIGHT} ahead of what rx has read. */
    private static void send(final OutputStream out, final AtomicLong received, final long first, final int count,
        final AdminClient... scrapeDuring) throws Exception
    {
        final StringBuilder batch = new StringBuilder(LINES_PER_WRITE * 24);
        for (int i = 0; i < count; i++)
        {
            batch.append("rx: ").append(first + i).append('\n');
            if ((i + 1) % LINES_PER_WRITE == 0 || i == count - 1)
            {
                final long sent = i + 1;
                final long deadlineNs = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (sent - received.get() > MAX_IN_FLIGHT)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        fail("rx stopped receiving at " + received.get());
                    }
                    LockSupport.parkNanos(50_000);
                }
                // Two writes, cut inside a line: the broker reads the line in two parts.
                final byte[] bytes = batch.toString().getBytes(StandardCharsets.US_ASCII);
                final int cut = bytes.length / 2 + 1;
                out.write(bytes, 0, cut);
                out.flush();
                out.write(bytes, cut, bytes.length - cut);
                batch.setLength(0);
            }
            if (scrapeDuring.length > 0 && i % 50_000 == 25_000)
            {
                // Scraping runs on the metrics thread; it must not make the hot threads allocate. /connz is filled
                // by the broker thread itself, into arrays the admin thread made: that must not allocate either.
                assertEquals(200, scrapeDuring[0].get("/metrics").statusCode());
                assertEquals(200, scrapeDuring[0].get("/histograms").statusCode());
                assertEquals(200, scrapeDuring[0].get("/api/timeseries").statusCode());
                assertEquals(200, scrapeDuring[0].get("/connz").statusCode());
            }
        }
        final long target = count;
        awaitCondition("rx to receive " + count + " messages", Duration.ofSeconds(60),
            () -> received.get() >= target);
        received.addAndGet(-count);
    }

    private static Void countLines(final InputStream in, final AtomicLong received) throws Exception
    {
        final byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0)
        {
            long lines = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] == '\n')
                {
                    lines++;
                }
            }
            received.addAndGet(lines);
        }
        return null;
    }

    private static Map<String, Long> allocatedBytes(final String[] hotThreads)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Map<String, Long> bytes = new LinkedHashMap<>();
        for (final String name : hotThreads)
        {
            final Thread[] matches = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals(name) && thread.isAlive())
                .toArray(Thread[]::new);
            assertEquals(1, matches.length, "one live thread named " + name);
            bytes.put(name, threads.getThreadAllocatedBytes(matches[0].getId()));
        }
        return bytes;
    }
}
