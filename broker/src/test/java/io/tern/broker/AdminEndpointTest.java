/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.tern.transport.TestSockets.readUntilEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin endpoint against hostile clients, over raw sockets: requests that never complete (more of them than it
 * has connection slots) neither stall {@code /health}, {@code /metrics} nor the stats line, and are closed at their
 * deadline; oversized heads are refused; a histogram reset needs a loopback Host, or the admin token when one is set.
 */
@Timeout(60)
class AdminEndpointTest extends BrokerTestSupport
{
    /** What "answers at once" means here: far below the 5 s request deadline, with room for a loaded machine. */
    private static final long ANSWER_BOUND_MS = 2000;
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final String PARTIAL_HEAD = "GET /health HTTP/1.1\r\nHost: x\r\n";
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)\r\nContent-Length: *(\\d+)\r\n");
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    private final List<Socket> stuck = new ArrayList<>();
    private int peers;
    private long delivered;

    @AfterEach
    void closeStuckSockets() throws IOException
    {
        for (final Socket socket : stuck)
        {
            socket.close();
        }
    }

    @Test
    void shouldAnswerHealthMetricsAndTheStatsLineWhileStuckRequestsHoldTheirSockets() throws Exception
    {
        final PrintStream originalOut = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            startBroker(new BrokerConfig().statsIntervalMs(100));
        }
        finally
        {
            System.setOut(originalOut);
        }
        final InetSocketAddress admin = broker.adminAddress();
        // Traffic, so that every interval has a stats line (an interval in which nothing happens prints none).
        final LineClient ticker = register("ticker");
        // More stuck requests than the endpoint has connection slots (64): half a head, or nothing at all.
        final int stuckCount = 80;
        for (int i = 0; i < stuckCount; i++)
        {
            stuck.add(openStuck(admin, i % 4 == 0 ? "" : PARTIAL_HEAD));
        }
        final long statsLinesBefore = statsLines(captured);

        for (int i = 0; i < 10; i++)
        {
            final long startNs = System.nanoTime();
            final String health = exchange(admin, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertEquals(200, status(health), health);
            assertTrue(health.endsWith("\r\n\r\naccepting\n"), health);
            assertTrue(tookMs < ANSWER_BOUND_MS, "/health took " + tookMs + " ms with " + stuckCount + " stuck");

            final long metricsStartNs = System.nanoTime();
            final String metrics = exchange(admin, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            final long metricsMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - metricsStartNs);
            assertEquals(200, status(metrics));
            assertTrue(metrics.contains("tern_connections_accepted_total"), metrics);
            assertTrue(metricsMs < ANSWER_BOUND_MS, "/metrics took " + metricsMs + " ms with " + stuckCount + " stuck");
        }
        // The stats line (every 100 ms, on the thread that formats /metrics) keeps coming.
        final int[] sent = {0};
        awaitCondition("5 more stats lines while the stuck requests are open", Duration.ofSeconds(3), () ->
        {
            try
            {
                ticker.send("ticker: t" + sent[0]);
                ticker.expectLine("from ticker: t" + sent[0]++);
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
            return statsLines(captured) >= statsLinesBefore + 5;
        });
    }

    @Test
    void shouldCloseStuckRequestsAtTheirDeadline() throws Exception
    {
        final long timeoutMs = 500;
        startBroker(new BrokerConfig().set(Settings.ADMIN_REQUEST_TIMEOUT_MS, timeoutMs));
        final InetSocketAddress admin = broker.adminAddress();
        final long startNs = System.nanoTime();
        final int count = 12;
        for (int i = 0; i < count; i++)
        {
            stuck.add(openStuck(admin, i % 3 == 0 ? "" : PARTIAL_HEAD));
        }
        // One that keeps sending, a byte at a time, but never finishes its head.
        final Socket dribbler = openStuck(admin, "");
        stuck.add(dribbler);
        final AtomicBoolean dribbling = new AtomicBoolean(true);
        final Future<?> dribble = executor.submit(() ->
        {
            final OutputStream out = dribbler.getOutputStream();
            final byte[] head = "GET /health HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".getBytes(
                StandardCharsets.US_ASCII);
            for (int i = 0; dribbling.get(); i++)
            {
                try
                {
                    out.write(head[Math.min(i, head.length - 1)]);
                    out.flush();
                }
                catch (final IOException closed)
                {
                    return null;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // pacing the attack, not synchronisation
            }
            return null;
        });

        for (final Socket socket : stuck)
        {
            final String seen = readToEnd(socket, Duration.ofSeconds(10));
            final long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(seen.isEmpty() || status(seen) == 408, "a stuck client sees 408 or nothing: " + seen);
            assertTrue(closedAfterMs >= timeoutMs - 50, "closed before the deadline: " + closedAfterMs + " ms");
            assertTrue(closedAfterMs < timeoutMs + 3000, "closed long after the deadline: " + closedAfterMs + " ms");
        }
        dribbling.set(false);
        join(dribble, SETTLE, "the dribbler to stop");
        assertEquals(200, status(exchange(admin, "GET /health HTTP/1.0\r\n\r\n")));
    }

    @Test
    void shouldKeepAtMost64ConnectionsOpenByClosingTheOldestUnfinished() throws Exception
    {
        // A deadline far beyond this test, so only the connection cap can close anything.
        startBroker(new BrokerConfig().set(Settings.ADMIN_REQUEST_TIMEOUT_MS, 600_000L));
        final InetSocketAddress admin = broker.adminAddress();
        final int slots = 64;
        final int extra = 16;
        for (int i = 0; i < slots + extra; i++)
        {
            stuck.add(openStuck(admin, i % 4 == 0 ? "" : PARTIAL_HEAD));
        }
        awaitCondition(extra + " of " + (slots + extra) + " stuck requests closed", SETTLE,
            () -> closedCount(stuck) >= extra);
        // Each newcomer closed one of the oldest, no more: the newest are all still open.
        assertEquals(extra, closedCount(stuck), "closed to make room");
        for (int i = slots; i < slots + extra; i++)
        {
            assertFalse(isClosed(stuck.get(i)), "stuck request " + i + " (among the newest) was closed");
        }

        // A newcomer is still served at once, and closes one more stuck request to make room.
        final long startNs = System.nanoTime();
        assertEquals(200, status(exchange(admin, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs < ANSWER_BOUND_MS, "/health took " + tookMs + " ms with " + slots + " connections stuck");
        awaitCondition("one more stuck request closed for the newcomer", SETTLE,
            () -> closedCount(stuck) == extra + 1);
    }

    @Test
    void shouldRefuseAnOversizedRequestHead() throws Exception
    {
        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        final String tooLong = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "a".repeat(9000) + "\r\n\r\n";
        final String refused = exchange(admin, tooLong);
        assertEquals(431, status(refused), refused);

        final String fits = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "a".repeat(7000) + "\r\n\r\n";
        assertEquals(200, status(exchange(admin, fits)));

        final String withBody = "POST /histograms?reset=true HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n" +
            "hello";
        assertEquals(413, status(exchange(admin, withBody)), "no endpoint takes a body");
    }

    @Test
    void shouldResetHistogramsOnlyForALoopbackHost() throws Exception
    {
        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        final long delivered = deliverSome(5);

        for (final String host : new String[]{"evil.example", "evil.example:" + admin.getPort(),
            "localhost.evil.example", "127.0.0.1.nip.io", "127.0.0.2"})
        {
            final String response = exchange(admin, resetRequest("Host: " + host + "\r\n"));
            assertEquals(403, status(response), host + ": " + response);
        }
        // Not a host[:port] at all: Jetty refuses these as malformed before any rule of ours runs.
        for (final String host : new String[]{"[::1].evil.example", "localhost:80x"})
        {
            final String response = exchange(admin, resetRequest("Host: " + host + "\r\n"));
            assertEquals(400, status(response), host + ": " + response);
        }
        assertEquals(400, status(exchange(admin, resetRequest("Host: localhost\r\nHost: evil.example\r\n"))),
            "two Hosts");
        // In absolute form the target's authority must be the Host's: a loopback one with a foreign Host is refused.
        assertEquals(400, status(exchange(admin, "POST http://127.0.0.1/histograms?reset=true HTTP/1.1\r\n" +
            "Host: evil.example\r\n\r\n")), "absolute form");
        assertEquals(403, status(exchange(admin, "POST /histograms?reset=true HTTP/1.0\r\n\r\n")), "HTTP/1.0, no Host");
        assertEquals(400, status(exchange(admin, "POST /histograms?reset=true HTTP/1.1\r\n\r\n")), "HTTP/1.1, no Host");
        assertEquals(403, status(exchange(admin, "PUT /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n")),
            "any method that is not GET or HEAD needs a loopback Host");
        assertEquals(delivered, sinceResetCount(admin), "nothing was reset");
        final String foreignRead = exchange(admin, "GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        assertEquals(200, status(foreignRead), "reading stays open");

        for (final String host : new String[]{"localhost", "LOCALHOST:" + admin.getPort(), "127.0.0.1",
            "127.0.0.1:" + admin.getPort(), "[::1]", "[::1]:" + admin.getPort()})
        {
            deliverSome(1);
            final String response = exchange(admin, resetRequest("Host: " + host + "\r\n"));
            assertEquals(200, status(response), host + ": " + response);
            assertEquals(0, sinceResetCount(admin), host + ": reset");
        }
    }

    @Test
    void shouldNotLogALineForEachMalformedOrRepeatedHost() throws Exception
    {
        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        final Logger root = Logger.getLogger("");
        final List<LogRecord> jettyRecords = new CopyOnWriteArrayList<>();
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                if (null != record.getLoggerName() && record.getLoggerName().startsWith("org.eclipse.jetty") &&
                    isLoggable(record))
                {
                    jettyRecords.add(record);
                }
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        root.addHandler(capture);
        try
        {
            for (int i = 0; i < 21; i++)
            {
                final String host = i % 3 == 0 ? "[::1].evil.example" : i % 3 == 1 ? "localhost:80x" :
                    "localhost\r\nHost: evil.example";
                assertEquals(400, status(exchange(admin, resetRequest("Host: " + host + "\r\n"))), host);
            }
        }
        finally
        {
            root.removeHandler(capture);
        }
        assertEquals(List.of(), jettyRecords.stream().map(LogRecord::getMessage).collect(Collectors.toList()),
            "Jetty logged client-made malformed Hosts");
    }

    @Test
    void shouldRequireTheTokenWhenOneIsSet(@TempDir final Path dir) throws Exception
    {
        final Path tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
        startBroker(new BrokerConfig().set(Settings.ADMIN_TOKEN_FILE, tokenFile));
        final InetSocketAddress admin = broker.adminAddress();
        final long delivered = deliverSome(3);

        assertEquals(403, status(exchange(admin, resetRequest("Host: 127.0.0.1\r\n"))),
            "with a token, a loopback Host is not enough");
        for (final String authorization : new String[]{"Bearer " + TOKEN.substring(1), "Bearer " + TOKEN + "0",
            "Bearer " + TOKEN.toUpperCase(), "Basic " + TOKEN, TOKEN, "Bearer"})
        {
            final String response = exchange(admin,
                resetRequest("Host: 127.0.0.1\r\nAuthorization: " + authorization + "\r\n"));
            assertEquals(403, status(response), authorization + ": " + response);
        }
        assertEquals(delivered, sinceResetCount(admin), "nothing was reset");
        assertEquals(200, status(exchange(admin, "GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n")),
            "reading needs no token");

        final String accepted = exchange(admin,
            resetRequest("Host: tern.example:8081\r\nAuthorization: Bearer " + TOKEN + "\r\n"));
        assertEquals(200, status(accepted), "the token is enough, from any Host: " + accepted);
        assertEquals(0, sinceResetCount(admin));
    }

    @Test
    void shouldRefuseToStartWithoutAUsableToken(@TempDir final Path dir) throws Exception
    {
        final Path shortToken = Files.writeString(dir.resolve("short.token"), "secret\n");
        final IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
            () -> startBroker(new BrokerConfig().set(Settings.ADMIN_TOKEN_FILE, shortToken)));
        assertTrue(tooShort.getMessage().contains("--admin-token-file=" + shortToken), tooShort.getMessage());

        final Path twoWords = Files.writeString(dir.resolve("two.token"), TOKEN + " " + TOKEN + "\n");
        assertThrows(IllegalArgumentException.class,
            () -> startBroker(new BrokerConfig().set(Settings.ADMIN_TOKEN_FILE, twoWords)));
        // Nothing leaked: a broker starts normally afterwards.
        startBroker();
        assertEquals(200, status(exchange(broker.adminAddress(), "GET /health HTTP/1.0\r\n\r\n")));
    }

    @Test
    void shouldAnswerAWrongMethodWith405() throws Exception
    {
        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        for (final String request : new String[]{"PUT /metrics", "POST /health", "DELETE /histograms", "POST /",
            "POST /histograms", "GET /histograms?reset=true"})
        {
            final String response = exchange(admin, request + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertEquals(405, status(response), request + ": " + response);
            assertTrue(response.contains("\r\nAllow: "), request + ": " + response);
        }
        final String head = exchange(admin, "HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(200, status(head));
        assertTrue(head.endsWith("\r\n\r\n"), "HEAD has no body: " + head);
        assertEquals(400, status(exchange(admin, "GARBAGE\r\n\r\n")));
        assertEquals(404, status(exchange(admin, "GET /metrics/extra HTTP/1.1\r\nHost: localhost\r\n\r\n")));
        // Jetty's own refusals of a bad target or query close the connection at once too, not at its deadline.
        for (final String target : new String[]{"/%zz", "/../metrics", "/histograms?stage=%ff"})
        {
            final long startNs = System.nanoTime();
            final String response;
            try (Socket socket = new Socket(admin.getAddress(), admin.getPort()))
            {
                socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
                response = readToEnd(socket, SETTLE);
            }
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertEquals(400, status(response), target + ": " + response);
            assertTrue(tookMs < ANSWER_BOUND_MS, target + ": closed after " + tookMs + " ms");
        }
    }

    private static String resetRequest(final String headers)
    {
        return "POST /histograms?reset=true&stage=read_to_write HTTP/1.1\r\n" + headers + "\r\n";
    }

    /**
     * Registers a peer (its self-probe is one delivery) that sends itself {@code count} messages, and waits until
     * every delivery so far is timed.
     *
     * @return the deliveries since the broker started.
     */
    private long deliverSome(final int count) throws Exception
    {
        final LineClient peer = register("peer" + ++peers);
        for (int i = 0; i < count; i++)
        {
            peer.send(peer.name() + ": m" + i);
            peer.expectLine("from " + peer.name() + ": m" + i);
        }
        delivered += 1 + count;
        awaitCondition("every delivery to be timed", SETTLE, () -> sinceStartCount(broker.adminAddress()) ==
            delivered);
        return delivered;
    }

    private static long sinceStartCount(final InetSocketAddress admin)
    {
        return totalCount(admin, "GET /histograms?stage=read_to_write&window=since-start");
    }

    private static long sinceResetCount(final InetSocketAddress admin)
    {
        return totalCount(admin, "GET /histograms?stage=read_to_write");
    }

    private static long totalCount(final InetSocketAddress admin, final String requestLine)
    {
        try
        {
            final String response = exchange(admin, requestLine + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertEquals(200, status(response), response);
            return AdminClient.parseDistributions(response.substring(response.indexOf("\r\n\r\n") + 4)).get(0)
                .totalCount();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static long statsLines(final ByteArrayOutputStream captured)
    {
        return captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(" stats over ")).count();
    }

    private static long closedCount(final List<Socket> sockets)
    {
        return sockets.stream().filter(AdminEndpointTest::isClosed).count();
    }

    /** @return true once the endpoint has closed the socket (end of stream, or a reset). */
    private static boolean isClosed(final Socket socket)
    {
        try
        {
            socket.setSoTimeout(1);
            final InputStream in = socket.getInputStream();
            while (in.read() >= 0)
            {
                // a stuck request is sent nothing, or a 408: the end of the stream is what counts
            }
            return true;
        }
        catch (final SocketTimeoutException open)
        {
            return false;
        }
        catch (final IOException reset)
        {
            return true;
        }
    }

    /** A connection that sends {@code partial} (maybe nothing) and then holds its socket open. */
    private static Socket openStuck(final InetSocketAddress admin, final String partial) throws IOException
    {
        final Socket socket = new Socket(admin.getAddress(), admin.getPort());
        if (!partial.isEmpty())
        {
            socket.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }
        return socket;
    }

    /** Sends one request and reads one response: its head, then as many bytes as its Content-Length says. */
    private static String exchange(final InetSocketAddress admin, final String request) throws IOException
    {
        try (Socket socket = new Socket(admin.getAddress(), admin.getPort()))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            final InputStream in = new BufferedInputStream(socket.getInputStream());
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int headEnd = -1;
            int contentLength = 0;
            int last4 = 0;
            while (headEnd < 0 || bytes.size() < headEnd + contentLength)
            {
                final int b = in.read();
                if (b < 0)
                {
                    break;
                }
                bytes.write(b);
                last4 = (last4 << 8) | b;
                if (headEnd < 0 && last4 == 0x0d0a0d0a)
                {
                    final String soFar = bytes.toString(StandardCharsets.ISO_8859_1);
                    headEnd = soFar.length();
                    final Matcher length = CONTENT_LENGTH.matcher(soFar);
                    contentLength = request.startsWith("HEAD ") || !length.find() ? 0 :
                        Integer.parseInt(length.group(1));
                }
            }
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("no complete response within 10 s to " + request.lines().findFirst().orElse(""),
                ex);
        }
    }

    private static String readToEnd(final Socket socket, final Duration timeout) throws IOException
    {
        socket.setSoTimeout((int)timeout.toMillis());
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try
        {
            readUntilEnd(socket.getInputStream(), bytes);
        }
        catch (final SocketTimeoutException ex)
        {
            throw new AssertionError("not closed within " + timeout + "; read so far: " + bytes, ex);
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static int status(final String response)
    {
        assertFalse(response.isEmpty(), "no response");
        assertTrue(response.startsWith("HTTP/1.1 "), response);
        return Integer.parseInt(response.substring(9, 12));
    }
}
