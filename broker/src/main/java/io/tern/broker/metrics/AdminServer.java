/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.HdrHistogram.Histogram;

/**
 * The admin HTTP endpoint, on its own port (loopback by default): a small HTTP/1.1 server on one non-blocking thread,
 * {@code admin}, that no client can stall.
 * <pre>
 *   GET  /metrics                          Prometheus text format (see {@link PrometheusMetrics})
 *   GET  /histograms[?stage=S][&amp;window=W]  percentile distribution per stage, HdrHistogram's text format, in us
 *                                          W = since-reset (default) | recent (about the last minute) | since-start
 *                                          with stage=S the body is exactly one .hgrm document
 *   POST /histograms?reset=true[&amp;stage=S]  the since-reset distribution(s), then starts them again (one step, so
 *                                          nothing recorded in between is lost); needs a loopback Host, or the
 *                                          admin token when there is one
 *   GET  /health                           200 "accepting" while the broker accepts connections, else 503
 *   GET  /                                 this list
 * </pre>
 * Every GET also answers HEAD. Every request first samples the recorders, so what it shows includes everything
 * recorded up to that moment.
 * <p>
 * Threads: the {@code admin} thread owns the socket, every connection and all their I/O, and never blocks on a client:
 * <pre>
 *   client ──▶ admin (selector): accept, read the request head (bounded), answer /health, /, and refusals itself
 *                 │ /metrics, /histograms: the parsed request, as a task          ▲ the body, through a queue,
 *                 ▼                                                                │ then selector.wakeup()
 *              metrics thread (owns the stage histograms): formats the body ───────┘
 * </pre>
 * A client that sends part of a request and then nothing, or that does not read its response, costs one connection
 * slot and a buffer of {@link #MAX_REQUEST_HEAD_BYTES}, never a thread: it is closed at its deadline
 * ({@code admin-request-timeout-ms} to send the request, as long again to take the response). At most
 * {@link #MAX_CONNECTIONS} connections are open; one more closes the oldest that has not finished its request. The
 * metrics thread, which also prints the stats line, only ever formats bodies for complete requests, so a stuck client
 * cannot delay it either. Each connection serves one request ({@code Connection: close}).
 * <p>
 * Every byte to or from a client passes through {@link #read(Connection)} and {@link #write(Connection)}: TLS goes
 * there, as a non-blocking {@code SSLEngine} wrapper around the {@code SocketChannel}.
 */
final class AdminServer
{
    /** Longest request line and headers together, in bytes; longer gets 431 and the close. */
    static final int MAX_REQUEST_HEAD_BYTES = 8192;
    /** Most connections open at once: a bound on what stuck clients hold (buffers and descriptors). */
    static final int MAX_CONNECTIONS = 64;
    /** Shortest admin token accepted: long enough that it cannot be guessed at the rate of HTTP requests. */
    static final int MIN_TOKEN_CHARS = 16;

    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    private static final long LINGER_NS = TimeUnit.MILLISECONDS.toNanos(1000);
    private static final long ACCEPT_PAUSE_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int TICKS_PER_HALF_DISTANCE = 5;
    private static final double NS_PER_US = 1000.0;
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String GET_HEAD = "GET, HEAD";
    private static final String INDEX = String.join("\n",
        "tern broker admin endpoint",
        "  GET  /metrics                               Prometheus text format",
        "  GET  /histograms[?stage=S][&window=W]       HdrHistogram percentile distributions, us",
        "       S = read_to_route | route_to_write | read_to_write (default all)",
        "       W = since-reset (default) | recent (about the last minute) | since-start",
        "  POST /histograms?reset=true[&stage=S]      the since-reset distributions, then reset them",
        "                                              (loopback Host, or Authorization: Bearer <admin token>)",
        "  GET  /health                                200 accepting | 503 not accepting",
        "");

    /** Where a connection is in its one exchange. */
    private enum State
    {
        /** Reading the request head. */
        READING,
        /** The metrics thread is formatting the body. */
        WAITING,
        /** Writing the response. */
        WRITING,
        /** Response written and output shut down; reading and dropping what the client still sends, until EOF. */
        LINGERING
    }

    /** One client connection. Admin thread only. */
    private static final class Connection
    {
        final SocketChannel channel;
        final String peer;
        final ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST_HEAD_BYTES);
        SelectionKey key;
        State state = State.READING;
        long deadlineNs;
        int scannedTo;
        boolean unreadInput;
        ByteBuffer out;

        Connection(final SocketChannel channel, final String peer, final long deadlineNs)
        {
            this.channel = channel;
            this.peer = peer;
            this.deadlineNs = deadlineNs;
        }
    }

    /** A parsed request head; immutable, so the metrics thread may read it. */
    private record Request(String method, String path, Map<String, String> query, String host, String authorization)
    {
        boolean isHead()
        {
            return "HEAD".equals(method);
        }

        boolean isGet()
        {
            return "GET".equals(method) || "HEAD".equals(method);
        }
    }

    /** A response: status, content type, body, and the {@code Allow} header for a 405 (else null). */
    private record Response(int status, String contentType, byte[] body, String allow)
    {
        static Response text(final int status, final String text)
        {
            return new Response(status, TEXT, text.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    /** A body the metrics thread formatted, on its way back to the admin thread. */
    private record Reply(Connection connection, Request request, Response response)
    {
    }

    private final ServerSocketChannel serverChannel;
    private final Selector selector;
    private final SelectionKey serverKey;
    private final InetSocketAddress boundAddress;
    private final StageHistogram[] stages;
    private final PrometheusMetrics prometheus;
    private final BooleanSupplier accepting;
    private final LongSupplier clockMs;
    private final long requestTimeoutNs;
    private final long requestTimeoutMs;
    private final byte[] tokenDigest;
    private final ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final List<Connection> connections = new ArrayList<>();
    private final Thread thread;
    private Executor metricsThread;
    private volatile boolean running;
    private long acceptPausedUntilNs;
    private long lastLogNs = System.nanoTime() - LOG_INTERVAL_NS;
    private int unloggedEvents;

    /**
     * Binds the socket now, so a port in use fails start-up before anything else runs, and reads the token; serves
     * nothing until {@link #start(Executor)}.
     *
     * @param requestTimeoutMs how long a client has to send its request, and again to take the response.
     * @param tokenFile        the file holding the admin token, or null for none (then a state change needs a
     *                         loopback Host).
     */
    AdminServer(
        final String bindAddress,
        final int port,
        final long requestTimeoutMs,
        final Path tokenFile,
        final StageHistogram[] stages,
        final PrometheusMetrics prometheus,
        final BooleanSupplier accepting,
        final LongSupplier clockMs) throws IOException
    {
        this.stages = stages;
        this.prometheus = prometheus;
        this.accepting = accepting;
        this.clockMs = clockMs;
        this.requestTimeoutMs = requestTimeoutMs;
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        this.tokenDigest = null == tokenFile ? null : sha256(readToken(tokenFile));
        serverChannel = ServerSocketChannel.open();
        try
        {
            serverChannel.bind(new InetSocketAddress(bindAddress, port), 16);
            serverChannel.configureBlocking(false);
            selector = Selector.open();
            serverKey = serverChannel.register(selector, SelectionKey.OP_ACCEPT);
            boundAddress = (InetSocketAddress)serverChannel.getLocalAddress();
        }
        catch (final BindException ex)
        {
            serverChannel.close();
            final BindException named = new BindException("--admin-port=" + port + " on " + bindAddress + ": " +
                ex.getMessage());
            named.initCause(ex);
            throw named;
        }
        catch (final IOException | RuntimeException ex)
        {
            serverChannel.close();
            throw ex;
        }
        thread = new Thread(this::run, "admin");
        thread.setDaemon(true); // never the reason a JVM stays up
    }

    /**
     * Starts serving on the {@code admin} thread. Call once.
     *
     * @param metricsThread runs the tasks that read the stage histograms: must be the single metrics thread.
     */
    void start(final Executor metricsThread)
    {
        this.metricsThread = metricsThread;
        running = true;
        thread.start();
    }

    /** @return the address bound (the port resolved when configured as 0). Any thread. */
    InetSocketAddress address()
    {
        return boundAddress;
    }

    /** Stops at once: closes the socket and every connection, and waits for the {@code admin} thread to end. */
    void stop()
    {
        running = false;
        selector.wakeup();
        if (thread.isAlive())
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        else
        {
            closeAll();
        }
    }

    /**
     * Reads the admin token: the file's one line, without surrounding white space.
     *
     * @throws IOException              if the file cannot be read.
     * @throws IllegalArgumentException if it holds no usable token.
     */
    static String readToken(final Path file) throws IOException
    {
        final String token;
        try
        {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        catch (final IOException ex)
        {
            throw new IOException("--admin-token-file=" + file + ": " + ex, ex);
        }
        for (int i = 0; i < token.length(); i++)
        {
            final char c = token.charAt(i);
            if (c <= ' ' || c > '~')
            {
                throw new IllegalArgumentException("--admin-token-file=" + file + ": the token must be one line of " +
                    "printable ASCII without spaces");
            }
        }
        if (token.length() < MIN_TOKEN_CHARS)
        {
            throw new IllegalArgumentException("--admin-token-file=" + file + ": the token must be at least " +
                MIN_TOKEN_CHARS + " characters (e.g. openssl rand -hex 32)");
        }
        return token;
    }

    private void run()
    {
        try
        {
            while (running)
            {
                final int ready = selector.select(selectTimeoutMs(System.nanoTime()));
                final long nowNs = System.nanoTime();
                // No iterator over an empty set: most wake-ups are a reply or a deadline.
                final Iterator<SelectionKey> keys = 0 == ready ? null : selector.selectedKeys().iterator();
                while (null != keys && keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isValid() && key.isAcceptable())
                    {
                        onAcceptable(nowNs);
                    }
                    else if (key.isValid())
                    {
                        final Connection connection = (Connection)key.attachment();
                        try
                        {
                            onReady(connection, key, nowNs);
                        }
                        catch (final RuntimeException ex)
                        {
                            // A bug met by one client: that client is closed, everyone else is still served.
                            LOG.log(System.Logger.Level.ERROR, "admin connection from " + connection.peer +
                                " failed", ex);
                            close(connection);
                        }
                    }
                }
                if (acceptPausedUntilNs != 0 && nowNs - acceptPausedUntilNs >= 0)
                {
                    acceptPausedUntilNs = 0;
                    serverKey.interestOps(SelectionKey.OP_ACCEPT);
                }
                Reply reply;
                while (null != (reply = replies.poll()))
                {
                    if (reply.connection().state == State.WAITING && reply.connection().channel.isOpen())
                    {
                        respond(reply.connection(), reply.request(), reply.response(), nowNs);
                    }
                }
                closeExpired(System.nanoTime());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            if (running)
            {
                LOG.log(System.Logger.Level.ERROR, "admin endpoint failed; it no longer serves", ex);
            }
        }
        finally
        {
            closeAll();
        }
    }

    private long selectTimeoutMs(final long nowNs)
    {
        long earliest = 0 == acceptPausedUntilNs ? Long.MAX_VALUE : acceptPausedUntilNs - nowNs;
        for (final Connection connection : connections)
        {
            earliest = Math.min(earliest, connection.deadlineNs - nowNs);
        }
        // 0 would block without a bound: wait at least 1 ms once a deadline is due (or past).
        return Long.MAX_VALUE == earliest ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(earliest) + 1);
    }

    private void onAcceptable(final long nowNs)
    {
        while (true)
        {
            final SocketChannel channel;
            try
            {
                channel = serverChannel.accept();
            }
            catch (final IOException ex)
            {
                // Out of file descriptors, most likely: stop asking for a while rather than spin on it.
                note(System.Logger.Level.WARNING, "(not accepted)", "failed: " + ex.getMessage() +
                    "; accepting again in " + TimeUnit.NANOSECONDS.toMillis(ACCEPT_PAUSE_NS) + " ms");
                serverKey.interestOps(0);
                acceptPausedUntilNs = nowNs + ACCEPT_PAUSE_NS;
                return;
            }
            if (null == channel)
            {
                return;
            }
            try
            {
                final String peer = String.valueOf(channel.getRemoteAddress());
                if (connections.size() >= MAX_CONNECTIONS && !evictOldestUnfinished())
                {
                    note(System.Logger.Level.INFO, peer, "closed: " + MAX_CONNECTIONS + " admin connections are busy");
                    channel.close();
                    continue;
                }
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                final Connection connection = new Connection(channel, peer, nowNs + requestTimeoutNs);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                connections.add(connection);
            }
            catch (final IOException ex)
            {
                closeQuietly(channel); // gone before it was set up: nobody to tell
            }
        }
    }

    /**
     * Makes room for a new connection by closing the one nearest its deadline: the client that has been slowest to
     * send its request or take its response. One waiting for the metrics thread is never chosen: it is not the
     * client's fault.
     *
     * @return true if a connection was closed.
     */
    private boolean evictOldestUnfinished()
    {
        Connection oldest = null;
        for (final Connection connection : connections)
        {
            if (connection.state != State.WAITING && (null == oldest || connection.deadlineNs < oldest.deadlineNs))
            {
                oldest = connection;
            }
        }
        if (null == oldest)
        {
            return false;
        }
        note(System.Logger.Level.INFO, oldest.peer, "closed (" + oldest.state.name().toLowerCase(Locale.ROOT) +
            ") to make room: " + MAX_CONNECTIONS + " admin connections are open");
        close(oldest);
        return true;
    }

    private void onReady(final Connection connection, final SelectionKey key, final long nowNs)
    {
        try
        {
            if (key.isWritable() && connection.state == State.WRITING)
            {
                write(connection);
                if (!connection.out.hasRemaining())
                {
                    finish(connection, nowNs);
                }
            }
            else if (key.isReadable() && connection.state == State.READING)
            {
                onRequestBytes(connection, nowNs);
            }
            else if (key.isReadable() && connection.state == State.LINGERING)
            {
                connection.in.clear();
                if (read(connection) < 0)
                {
                    close(connection);
                }
            }
        }
        catch (final IOException ex)
        {
            // The client went away (reset, or closed while we wrote): nothing to answer and nobody to tell.
            close(connection);
        }
    }

    private void onRequestBytes(final Connection connection, final long nowNs) throws IOException
    {
        final ByteBuffer in = connection.in;
        final int read = read(connection);
        final int headEnd = headEnd(connection);
        if (headEnd < 0)
        {
            if (read < 0)
            {
                close(connection); // gave up before the request was complete
            }
            else if (!in.hasRemaining())
            {
                note(System.Logger.Level.INFO, connection.peer, "refused: request head over " +
                    MAX_REQUEST_HEAD_BYTES + " bytes");
                connection.unreadInput = true;
                respond(connection, null, Response.text(431, "request line and headers must fit in " +
                    MAX_REQUEST_HEAD_BYTES + " bytes\n"), nowNs);
            }
            return;
        }
        connection.unreadInput = headEnd < in.position();
        connection.key.interestOps(0);
        final String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
        final Request request;
        try
        {
            request = parse(head);
        }
        catch (final IllegalArgumentException ex)
        {
            respond(connection, null, Response.text(400, "bad request: " + ex.getMessage() + "\n"), nowNs);
            return;
        }
        if (null == request)
        {
            connection.unreadInput = true;
            respond(connection, null, Response.text(413, "no request body is accepted\n"), nowNs);
            return;
        }
        onRequest(connection, request, nowNs);
    }

    /** @return the index just past the blank line that ends the head, or -1 if it has not arrived. */
    private static int headEnd(final Connection connection)
    {
        final byte[] bytes = connection.in.array();
        final int end = connection.in.position();
        for (int i = Math.max(1, connection.scannedTo); i < end; i++)
        {
            if (bytes[i] == '\n' && (bytes[i - 1] == '\n' || (i >= 2 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n')))
            {
                return i + 1;
            }
        }
        connection.scannedTo = end;
        return -1;
    }

    /**
     * @return the request, or null when it announces a body (which no endpoint takes).
     * @throws IllegalArgumentException with the reason, for a malformed head.
     */
    private static Request parse(final String head)
    {
        final String[] lines = head.split("\r?\n");
        final String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || requestLine[0].isEmpty() ||
            !(requestLine[2].equals("HTTP/1.1") || requestLine[2].equals("HTTP/1.0")))
        {
            throw new IllegalArgumentException("not an HTTP/1.x request line");
        }
        String target = requestLine[1];
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8))
        {
            final int slash = target.indexOf('/', target.indexOf("//") + 2);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        if (!target.startsWith("/"))
        {
            throw new IllegalArgumentException("the target must be a path");
        }
        final int question = target.indexOf('?');
        final String path = question < 0 ? target : target.substring(0, question);
        final Map<String, String> query = query(question < 0 ? null : target.substring(question + 1));

        String host = null;
        String authorization = null;
        boolean body = false;
        for (int i = 1; i < lines.length; i++)
        {
            final String line = lines[i];
            if (line.isEmpty())
            {
                continue;
            }
            final int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.charAt(colon - 1) == ' ')
            {
                throw new IllegalArgumentException("malformed header line");
            }
            final String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            final String value = line.substring(colon + 1).strip();
            switch (name)
            {
                case "host":
                    if (null != host)
                    {
                        throw new IllegalArgumentException("more than one Host");
                    }
                    host = value;
                    break;
                case "authorization":
                    authorization = value;
                    break;
                case "content-length":
                    body |= !value.equals("0");
                    break;
                case "transfer-encoding":
                    body = true;
                    break;
                default:
                    break;
            }
        }
        if (null == host && requestLine[2].equals("HTTP/1.1"))
        {
            throw new IllegalArgumentException("HTTP/1.1 needs a Host header");
        }
        return body ? null : new Request(requestLine[0], path, query, host, authorization);
    }

    private static Map<String, String> query(final String rawQuery)
    {
        final Map<String, String> params = new HashMap<>();
        if (null == rawQuery || rawQuery.isEmpty())
        {
            return params;
        }
        for (final String pair : rawQuery.split("&"))
        {
            final int equals = pair.indexOf('=');
            final String key = equals < 0 ? pair : pair.substring(0, equals);
            final String value = equals < 0 ? "" : pair.substring(equals + 1);
            params.put(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return params;
    }

    private void onRequest(final Connection connection, final Request request, final long nowNs)
    {
        if (!request.isGet() && !mayChangeState(request))
        {
            // Anything but GET and HEAD may change state: refused before anything else is said about it.
            note(System.Logger.Level.WARNING, connection.peer, "refused: " + printable(request.method()) + " " +
                printable(request.path()) +
                (null == tokenDigest ? " with Host '" + printable(request.host()) + "' (not loopback)" :
                    null == request.authorization() ? " without the admin token" : " with a wrong admin token"));
            respond(connection, request, Response.text(403, null == tokenDigest ?
                "forbidden: changes need a loopback Host (localhost, 127.0.0.1 or [::1])\n" :
                "forbidden: changes need Authorization: Bearer <admin token>\n"), nowNs);
            return;
        }
        switch (request.path())
        {
            case "/health":
                if (!request.isGet())
                {
                    respond(connection, request, notAllowed(GET_HEAD, "use GET\n"), nowNs);
                    return;
                }
                final boolean up = accepting.getAsBoolean();
                respond(connection, request, Response.text(up ? 200 : 503, up ? "accepting\n" : "not accepting\n"),
                    nowNs);
                return;
            case "/":
                respond(connection, request, request.isGet() ? Response.text(200, INDEX) :
                    notAllowed(GET_HEAD, "use GET\n"), nowNs);
                return;
            case "/metrics":
                if (!request.isGet())
                {
                    respond(connection, request, notAllowed(GET_HEAD, "use GET\n"), nowNs);
                    return;
                }
                onMetricsThread(connection, request, nowNs);
                return;
            case "/histograms":
                final Response refused = checkHistograms(request);
                if (null != refused)
                {
                    respond(connection, request, refused, nowNs);
                    return;
                }
                onMetricsThread(connection, request, nowNs);
                return;
            default:
                respond(connection, request, Response.text(404, "not found; GET / lists the endpoints\n"), nowNs);
        }
    }

    /** @return why a /histograms request cannot be served, or null when it can. */
    private static Response checkHistograms(final Request request)
    {
        final String stageName = request.query().get("stage");
        if (null != stageName && null == Stage.byName(stageName))
        {
            return Response.text(400, "unknown stage '" + stageName + "'; one of read_to_route, route_to_write, " +
                "read_to_write\n");
        }
        final boolean reset = "true".equals(request.query().get("reset"));
        final String window = request.query().getOrDefault("window", "since-reset");
        final boolean post = "POST".equals(request.method());
        if (reset != post || (!post && !request.isGet()))
        {
            return notAllowed(reset ? "POST" : GET_HEAD,
                "GET /histograms shows; POST /histograms?reset=true shows and resets\n");
        }
        if (!window.equals("since-reset") && !window.equals("recent") && !window.equals("since-start") ||
            (reset && !window.equals("since-reset")))
        {
            return Response.text(400, "window must be since-reset, recent or since-start (reset: since-reset)\n");
        }
        return null;
    }

    private static Response notAllowed(final String allow, final String text)
    {
        return new Response(405, TEXT, text.getBytes(StandardCharsets.UTF_8), allow);
    }

    /**
     * A change is allowed with the admin token when there is one, else only with a loopback Host: a web page that
     * gets a browser to send the request (cross-site, or through DNS rebinding) sends its own host name, and cannot
     * know the token.
     */
    private boolean mayChangeState(final Request request)
    {
        if (null != tokenDigest)
        {
            final String authorization = request.authorization();
            if (null == authorization || !authorization.regionMatches(true, 0, "Bearer ", 0, 7))
            {
                return false;
            }
            // Digests of equal length, compared in constant time: the time taken says nothing about the token.
            return MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(7).strip()));
        }
        return isLoopbackHost(request.host());
    }

    /** @return true for {@code localhost}, {@code 127.0.0.1} or {@code [::1]}, each with or without a port. */
    static boolean isLoopbackHost(final String host)
    {
        if (null == host)
        {
            return false;
        }
        final String name;
        if (host.startsWith("["))
        {
            final int close = host.indexOf(']');
            if (close < 0 || (close + 1 < host.length() && host.charAt(close + 1) != ':'))
            {
                return false;
            }
            name = host.substring(0, close + 1);
        }
        else
        {
            final int colon = host.indexOf(':');
            name = colon < 0 ? host : host.substring(0, colon);
        }
        final int portStart = name.length() + 1;
        for (int i = portStart; i < host.length(); i++)
        {
            if (!Character.isDigit(host.charAt(i)))
            {
                return false;
            }
        }
        return name.equalsIgnoreCase("localhost") || name.equals("127.0.0.1") || name.equals("[::1]");
    }

    private void onMetricsThread(final Connection connection, final Request request, final long nowNs)
    {
        connection.state = State.WAITING;
        try
        {
            metricsThread.execute(() ->
            {
                Response response;
                try
                {
                    response = "/metrics".equals(request.path()) ? metrics() : histograms(request);
                }
                catch (final IOException | RuntimeException ex)
                {
                    LOG.log(System.Logger.Level.ERROR, "admin " + request.path() + " failed", ex);
                    response = Response.text(500, "internal error: " + ex + "\n");
                }
                replies.offer(new Reply(connection, request, response));
                selector.wakeup();
            });
        }
        catch (final RejectedExecutionException ex)
        {
            respond(connection, request, Response.text(503, "shutting down\n"), nowNs);
        }
    }

    /** Metrics thread. */
    private Response metrics() throws IOException
    {
        sampleAll();
        final ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        prometheus.writeTo(body);
        return new Response(200, prometheus.contentType(), body.toByteArray(), null);
    }

    /** Metrics thread. */
    private Response histograms(final Request request)
    {
        final String stageName = request.query().get("stage");
        final Stage only = null == stageName ? null : Stage.byName(stageName);
        final boolean reset = "POST".equals(request.method());
        final String window = request.query().getOrDefault("window", "since-reset");

        sampleAll();
        final long nowMs = clockMs.getAsLong();
        final ByteArrayOutputStream body = new ByteArrayOutputStream(16384);
        try (PrintStream out = new PrintStream(body, false, StandardCharsets.US_ASCII))
        {
            for (final StageHistogram stage : stages)
            {
                if (null != only && stage.stage() != only)
                {
                    continue;
                }
                final Histogram histogram;
                final String since;
                switch (window)
                {
                    case "recent":
                        histogram = stage.recent();
                        since = "about the last minute";
                        break;
                    case "since-start":
                        histogram = stage.sinceStart();
                        since = "since the broker started";
                        break;
                    default:
                        histogram = stage.sinceReset();
                        since = "since " + Instant.ofEpochMilli(stage.resetTimeMs()) + " (" +
                            String.format(Locale.ROOT, "%.1f s", (nowMs - stage.resetTimeMs()) / 1000.0) + ")";
                        break;
                }
                if (null == only)
                {
                    out.printf(Locale.ROOT, "# stage %s: %d values %s, in microseconds%n",
                        stage.stage().label(), histogram.getTotalCount(), since);
                }
                histogram.outputPercentileDistribution(out, TICKS_PER_HALF_DISTANCE, NS_PER_US);
                if (null == only)
                {
                    out.println();
                }
                if (reset)
                {
                    stage.reset(nowMs);
                }
            }
        }
        return new Response(200, TEXT, body.toByteArray(), null);
    }

    private void sampleAll()
    {
        for (final StageHistogram stage : stages)
        {
            stage.sample();
        }
    }

    private void respond(final Connection connection, final Request request, final Response response, final long nowNs)
    {
        final boolean head = null != request && request.isHead();
        final StringBuilder header = new StringBuilder(160)
            .append("HTTP/1.1 ").append(response.status()).append(' ').append(reason(response.status())).append("\r\n")
            .append("Content-Type: ").append(response.contentType()).append("\r\n")
            .append("Content-Length: ").append(response.body().length).append("\r\n");
        if (null != response.allow())
        {
            header.append("Allow: ").append(response.allow()).append("\r\n");
        }
        header.append("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
        final byte[] headBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer out = ByteBuffer.allocate(headBytes.length + (head ? 0 : response.body().length));
        out.put(headBytes);
        if (!head)
        {
            out.put(response.body());
        }
        connection.out = out.flip();
        connection.state = State.WRITING;
        connection.deadlineNs = nowNs + requestTimeoutNs;
        try
        {
            write(connection);
            if (connection.out.hasRemaining())
            {
                connection.key.interestOps(SelectionKey.OP_WRITE);
            }
            else
            {
                finish(connection, nowNs);
            }
        }
        catch (final IOException ex)
        {
            close(connection);
        }
    }

    /** The response is written: close, or first drain what the client sent beyond the request, so it is not reset. */
    private void finish(final Connection connection, final long nowNs) throws IOException
    {
        if (!connection.unreadInput)
        {
            close(connection);
            return;
        }
        // Closing with unread bytes would send a reset, which can destroy the response before the client reads it.
        connection.channel.shutdownOutput();
        connection.state = State.LINGERING;
        connection.deadlineNs = nowNs + Math.min(LINGER_NS, requestTimeoutNs);
        connection.key.interestOps(SelectionKey.OP_READ);
    }

    private void closeExpired(final long nowNs)
    {
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final Connection connection = connections.get(i);
            if (nowNs - connection.deadlineNs < 0)
            {
                continue;
            }
            switch (connection.state)
            {
                case READING:
                    note(System.Logger.Level.INFO, connection.peer, "closed: request not complete within " +
                        requestTimeoutMs + " ms");
                    // Best effort, never waited for: a fresh socket's send buffer has room for these few bytes.
                    connection.out = ByteBuffer.wrap(("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n" +
                        "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    try
                    {
                        write(connection);
                    }
                    catch (final IOException ignore)
                    {
                        // closing anyway
                    }
                    break;
                case WRITING:
                    note(System.Logger.Level.INFO, connection.peer, "closed: response not taken within " +
                        requestTimeoutMs + " ms");
                    break;
                default:
                    break;
            }
            close(connection);
        }
    }

    /** The one place bytes come from a client. */
    private static int read(final Connection connection) throws IOException
    {
        return connection.channel.read(connection.in);
    }

    /** The one place bytes go to a client. */
    private static void write(final Connection connection) throws IOException
    {
        connection.channel.write(connection.out);
    }

    private void close(final Connection connection)
    {
        connections.remove(connection);
        if (null != connection.key)
        {
            connection.key.cancel();
        }
        closeQuietly(connection.channel);
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closed either way
        }
    }

    private void closeAll()
    {
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            close(connections.get(i));
        }
        try
        {
            serverChannel.close();
        }
        catch (final IOException ignore)
        {
            // closed either way
        }
        try
        {
            selector.close();
        }
        catch (final IOException ignore)
        {
            // closed either way
        }
    }

    /**
     * Logs one connection event, at most one line a second: a flood of hostile clients must not flood the log too.
     * The next line logged says how many were left out.
     */
    private void note(final System.Logger.Level level, final String peer, final String what)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - lastLogNs < LOG_INTERVAL_NS)
        {
            unloggedEvents++;
            return;
        }
        LOG.log(level, "admin connection from " + peer + " " + what +
            (unloggedEvents > 0 ? " (and " + unloggedEvents + " admin connection events not logged in the last " +
                TimeUnit.NANOSECONDS.toSeconds(nowNs - lastLogNs) + " s)" : ""));
        lastLogNs = nowNs;
        unloggedEvents = 0;
    }

    /**
     * @return text a client sent, fit for a log line: at most 80 characters, anything but printable ASCII as
     *         {@code \xNN}, so that it can neither forge a line nor hide itself.
     */
    static String printable(final String text)
    {
        if (null == text)
        {
            return "(none)";
        }
        final StringBuilder sb = new StringBuilder(Math.min(text.length(), 80) + 8);
        int i = 0;
        for (; i < text.length() && sb.length() < 80; i++)
        {
            final char c = text.charAt(i);
            if (c >= ' ' && c <= '~' && c != '\\')
            {
                sb.append(c);
            }
            else
            {
                sb.append(String.format(Locale.ROOT, "\\x%02x", (int)c & 0xff));
            }
        }
        return i < text.length() ? sb.append("...").toString() : sb.toString();
    }

    private static String reason(final int status)
    {
        switch (status)
        {
            case 200:
                return "OK";
            case 400:
                return "Bad Request";
            case 403:
                return "Forbidden";
            case 404:
                return "Not Found";
            case 405:
                return "Method Not Allowed";
            case 413:
                return "Content Too Large";
            case 431:
                return "Request Header Fields Too Large";
            case 503:
                return "Service Unavailable";
            default:
                return "Internal Server Error";
        }
    }

    private static byte[] sha256(final String text)
    {
        try
        {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }
}
