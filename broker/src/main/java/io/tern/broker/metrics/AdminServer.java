/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import javax.net.ssl.SSLContext;

import org.HdrHistogram.Histogram;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The admin HTTP endpoint, on its own port (loopback by default), served by embedded Jetty (its core Handler API, no
 * servlets) so that no client can stall it.
 * <pre>
 *   GET  /metrics                          Prometheus text format (see {@link PrometheusMetrics})
 *   GET  /histograms[?stage=S][&amp;window=W]  percentile distribution per stage, HdrHistogram's text format, in us
 *                                          W = since-reset (default) | recent (about the last minute) | since-start
 *                                          with stage=S the body is exactly one .hgrm document
 *   POST /histograms?reset=true[&amp;stage=S]  the since-reset distribution(s), then starts them again (one step, so
 *                                          nothing recorded in between is lost); needs a loopback Host, or the
 *                                          admin token when there is one
 *   GET  /health                           200 "accepting" while the broker accepts connections, else 503
 *   GET  /connz[?offset=N][&amp;limit=N][&amp;sort=K]  who is connected, JSON (see {@link Connz}); the broker thread
 *                                          fills a {@link PeerSnapshot} it is handed through a bounded queue; as
 *                                          it names peers and their addresses, it needs what a reset needs
 *   GET  /clusterz[?names=N]               the cluster as this node sees it, JSON (see {@link Clusterz}): links,
 *                                          counters, role, claim latency, and the names held per node, which the
 *                                          broker thread copies as for /connz; needs what /connz needs
 *   GET  /api/timeseries[?seconds=N]       the dashboard's data, JSON (see {@link TimeSeries})
 *   GET  /dashboard                        the dashboard: one HTML page from the jar, drawing SVG charts of
 *                                          /api/timeseries; no other origin is ever contacted
 *   GET  /                                 the dashboard for a browser (Accept: text/html), else this list
 * </pre>
 * Every GET also answers HEAD. Every request first samples the recorders, so what it shows includes everything
 * recorded up to that moment.
 * <p>
 * Threads: Jetty's, in one small pool named {@code admin-N} (at most {@link #MAX_THREADS}), own the socket and every
 * connection; {@code admin-scheduler} runs the deadlines. Jetty reads request heads on its selector, so a client that
 * sends part of a request and then nothing holds no thread:
 * <pre>
 *   client ──▶ admin-N (Jetty: selector, parser): the head, bounded; AdminServer answers /health, / and refusals
 *                 │ /metrics, /histograms: the parsed request, as a task          ▲ the body, handed to the pool,
 *                 ▼                                                                │ which writes it (non-blocking)
 *              metrics thread (owns the stage histograms): formats the body ───────┘
 * </pre>
 * Each client has {@code admin-request-timeout-ms} from connecting to send its request, however slowly its bytes
 * arrive (Jetty's idle timeout alone would let a client that sends a byte now and then keep its connection), and as
 * long again to take the response; then it is closed. At most {@link #MAX_CONNECTIONS} connections are open; one more
 * closes the one nearest its deadline that is not waiting for the metrics thread. The metrics thread, which also
 * prints the stats line, only ever formats bodies for complete requests and never touches a socket, so a stuck client
 * cannot delay it either. Each connection serves one request ({@code Connection: close}).
 * <p>
 * With an {@link SSLContext} the endpoint speaks only TLS (Jetty's {@link SslConnectionFactory} in front of HTTP/1.1);
 * the deadlines then include the handshake.
 */
final class AdminServer
{
    /** Longest request line and headers together, in bytes; longer gets 431 and the close. */
    static final int MAX_REQUEST_HEAD_BYTES = 8192;
    /** Most connections open at once: a bound on what stuck clients hold (buffers and descriptors). */
    static final int MAX_CONNECTIONS = 64;
    /**
     * Most threads in Jetty's pool: one runs its selector (which also accepts), the rest run handlers and writes,
     * none of which waits for a client; more would only add idle stacks.
     */
    static final int MAX_THREADS = 4;
    /** Shortest admin token accepted: long enough that it cannot be guessed at the rate of HTTP requests. */
    static final int MIN_TOKEN_CHARS = 16;

    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    /**
     * Jetty's loggers, through SLF4J to java.util.logging. Held here because java.util.logging keeps loggers only
     * weakly, and a level set on one it drops would be lost.
     */
    private static final java.util.logging.Logger JETTY_LOG = quietJetty();
    private static final java.util.logging.Logger HOST_PORT_LOG = quietUntilSevere("org.eclipse.jetty.util.HostPort");
    private static final java.util.logging.Logger HTTP_PARSING_LOG = quietUntilSevere("org.eclipse.jetty.http");
    private static final int MIN_THREADS = 2;
    private static final int THREAD_IDLE_MS = 60_000;
    private static final int ACCEPT_QUEUE = 16;
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
        "  GET  /connz[?offset=N][&limit=N][&sort=K]   who is connected, JSON; K = cid | start | name | msgs_in |",
        "                                              msgs_out | bytes_in | bytes_out | pending | fill",
        "                                              (loopback Host, or Authorization: Bearer <admin token>)",
        "  GET  /clusterz[?names=N]                    the cluster as this node sees it, JSON: links, role, claims,",
        "                                              names held per node (N per node, default 256; 0 for counts)",
        "                                              (loopback Host, or Authorization: Bearer <admin token>)",
        "  GET  /api/timeseries[?seconds=N]            per-second rates and latencies, JSON (the dashboard's data)",
        "  GET  /dashboard                             the dashboard (also / for a browser)",
        "");
    private static final String HTML = "text/html; charset=utf-8";
    private static final String JSON = "application/json";
    /** How often an admin thread looks whether the broker thread has filled a /connz snapshot. */
    private static final long SNAPSHOT_POLL_NS = TimeUnit.MILLISECONDS.toNanos(2);
    /** How long the broker thread has to fill it: it does at the end of each batch, or within 100 ms when idle. */
    private static final long SNAPSHOT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    /** Rows made room for beyond the connections open now, so that a few newcomers do not need a second round. */
    private static final int SNAPSHOT_SLACK = 64;

    /** Where a connection is in its one exchange. */
    private enum State
    {
        /** Reading the request head (or, with TLS, the handshake). */
        READING,
        /** The metrics thread is formatting the body. */
        WAITING,
        /** Writing the response. */
        WRITING
    }

    /**
     * One client connection's deadline and state. Created on Jetty's selector when the connection opens; its state
     * and deadline are written by the handler and read by the scheduler, hence volatile.
     */
    private final class Exchange implements Runnable
    {
        final Connection connection;
        final String peer;
        volatile State state = State.READING;
        volatile long deadlineNs;
        Scheduler.Task task;

        Exchange(final Connection connection, final String peer, final long deadlineNs)
        {
            this.connection = connection;
            this.peer = peer;
            this.deadlineNs = deadlineNs;
        }

        /** On {@code admin-scheduler}, at the deadline (or earlier, when the deadline moved on). */
        @Override
        public void run()
        {
            final long leftNs = deadlineNs - System.nanoTime();
            if (!connection.getEndPoint().isOpen())
            {
                return;
            }
            if (leftNs > 0)
            {
                schedule(this, leftNs);
                return;
            }
            switch (state)
            {
                case READING:
                    note(System.Logger.Level.INFO, peer, "closed: request not complete within " + requestTimeoutMs +
                        " ms");
                    break;
                case WRITING:
                    note(System.Logger.Level.INFO, peer, "closed: response not taken within " + requestTimeoutMs +
                        " ms");
                    break;
                default:
                    break;
            }
            connection.getEndPoint().close();
        }
    }

    /** A response: status, content type, body, and the {@code Allow} header for a 405 (else null). */
    private record Reply(int status, String contentType, byte[] body, String allow)
    {
        static Reply text(final int status, final String text)
        {
            return new Reply(status, TEXT, text.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final QueuedThreadPool threads;
    private final Scheduler scheduler;
    private final InetSocketAddress boundAddress;
    private final StageHistogram[] stages;
    private final PrometheusMetrics prometheus;
    private final BooleanSupplier accepting;
    private final LongSupplier clockMs;
    private final TimeSeries timeSeries;
    private final PeerSnapshotRequests peerSnapshots;
    private final LongSupplier connectionsOpen;
    private final byte[] dashboard;
    private final long requestTimeoutNs;
    private final long requestTimeoutMs;
    private final byte[] tokenDigest;
    /** Every open client connection, by its network end point. */
    private final Map<EndPoint, Exchange> exchanges = new ConcurrentHashMap<>();
    private volatile Executor metricsThread;
    /** The cluster this node is part of, for /clusterz; null without one. Set before {@link #start}. */
    private volatile ClusterMetricsSource cluster;
    private long lastLogNs = System.nanoTime() - LOG_INTERVAL_NS;
    private int unloggedEvents;

    /**
     * Binds the socket now, so a port in use fails start-up before anything else runs, and reads the token; serves
     * nothing until {@link #start(Executor)}.
     *
     * @param requestTimeoutMs how long a client has to send its request, and again to take the response.
     * @param tokenFile        the file holding the admin token, or null for none (then a state change needs a
     *                         loopback Host).
     * @param sslContext       TLS for every connection, or null for plain HTTP.
     * @param timeSeries       the dashboard's data (metrics thread), or null for none.
     * @param peerSnapshots    where /connz asks the broker thread who is connected, or null for no /connz.
     * @param connectionsOpen  connections open now, to size a /connz snapshot.
     */
    AdminServer(
        final String bindAddress,
        final int port,
        final long requestTimeoutMs,
        final Path tokenFile,
        final SSLContext sslContext,
        final StageHistogram[] stages,
        final PrometheusMetrics prometheus,
        final BooleanSupplier accepting,
        final LongSupplier clockMs,
        final TimeSeries timeSeries,
        final PeerSnapshotRequests peerSnapshots,
        final LongSupplier connectionsOpen) throws IOException
    {
        this.stages = stages;
        this.prometheus = prometheus;
        this.accepting = accepting;
        this.clockMs = clockMs;
        this.timeSeries = timeSeries;
        this.peerSnapshots = peerSnapshots;
        this.connectionsOpen = connectionsOpen;
        this.dashboard = readDashboard();
        this.requestTimeoutMs = requestTimeoutMs;
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        this.tokenDigest = null == tokenFile ? null : sha256(readToken(tokenFile));

        threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS, THREAD_IDLE_MS);
        threads.setName("admin");
        threads.setDaemon(true); // never the reason a JVM stays up
        threads.setReservedThreads(0); // a handler never blocks: no thread kept spare for one
        scheduler = new ScheduledExecutorScheduler("admin-scheduler", true);
        server = new Server(threads, scheduler, null);
        server.setErrorHandler(plainErrors());

        final HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(MAX_REQUEST_HEAD_BYTES);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // One request per connection, Jetty's own error responses (400 for a bad URI or query) included: a
        // connection left open after one would otherwise wait for its deadline.
        http.setPersistentConnectionsEnabled(false);
        final HttpConnectionFactory http11 = new HttpConnectionFactory(http);
        final ConnectionFactory[] factories = null == sslContext ? new ConnectionFactory[]{http11} :
            new ConnectionFactory[]{new SslConnectionFactory(tls(sslContext), HttpVersion.HTTP_1_1.asString()), http11};
        // No acceptor thread: the one selector accepts too.
        connector = new ServerConnector(server, threads, scheduler, null, 0, 1, factories);
        connector.setHost(bindAddress);
        connector.setPort(port);
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        connector.setIdleTimeout(requestTimeoutMs);
        connector.addEventListener(new Connection.Listener()
        {
            @Override
            public void onOpened(final Connection connection)
            {
                AdminServer.this.onOpened(connection);
            }

            @Override
            public void onClosed(final Connection connection)
            {
                AdminServer.this.onClosed(connection);
            }
        });
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(final Request request, final Response response, final Callback callback)
            {
                onRequest(request, response, callback);
                return true;
            }
        });
        try
        {
            connector.open();
        }
        catch (final IOException ex)
        {
            connector.close();
            if (ex instanceof BindException || ex.getCause() instanceof BindException)
            {
                final BindException named = new BindException("--admin-port=" + port + " on " + bindAddress + ": " +
                    (ex.getCause() instanceof BindException ? ex.getCause().getMessage() : ex.getMessage()));
                named.initCause(ex);
                throw named;
            }
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            connector.close();
            throw ex;
        }
        boundAddress = new InetSocketAddress(bindAddress, connector.getLocalPort());
    }

    /**
     * Starts serving on Jetty's threads. Call once.
     *
     * @param metricsThread runs the tasks that read the stage histograms: must be the single metrics thread.
     * @throws IllegalStateException if Jetty cannot start (its socket is already bound, so this is not expected).
     */
    void start(final Executor metricsThread)
    {
        this.metricsThread = metricsThread;
        try
        {
            server.start();
        }
        catch (final Exception ex)
        {
            stop();
            throw new IllegalStateException("admin endpoint on " + boundAddress + " did not start: " + ex, ex);
        }
    }

    /** Serves {@code /clusterz} for this cluster node. Before {@link #start}. */
    void cluster(final ClusterMetricsSource cluster)
    {
        this.cluster = cluster;
    }

    /** @return the address bound (the port resolved when configured as 0). Any thread. */
    InetSocketAddress address()
    {
        return boundAddress;
    }

    /** Stops at once: closes the socket and every connection, and waits for Jetty's threads to end. */
    void stop()
    {
        try
        {
            server.stop();
        }
        catch (final Exception ex)
        {
            LOG.log(System.Logger.Level.WARNING, "admin endpoint did not stop cleanly: " + ex);
        }
        finally
        {
            connector.close(); // when never started, the bound socket is still open
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

    /**
     * Jetty logs its start and stop at INFO (version, build, connector), which the broker's own start-up line already
     * says: WARNING and above only, unless the logging configuration gives {@code org.eclipse.jetty} a level of its
     * own. Jetty logs nothing per request at INFO either way.
     */
    private static java.util.logging.Logger quietJetty()
    {
        final java.util.logging.Logger jetty = java.util.logging.Logger.getLogger("org.eclipse.jetty");
        if (null == jetty.getLevel())
        {
            jetty.setLevel(java.util.logging.Level.WARNING);
        }
        return jetty;
    }

    /**
     * Jetty's request parsing warns of some malformed requests a client sends ({@code Bad port [80x]} from HostPort,
     * a second Host header from HttpParser, with the client's text), with no rate limit and without naming the
     * client, though the client already gets 400: a client could fill the log with one line per request. Only their
     * errors, unless the logging configuration gives the logger a level of its own.
     */
    private static java.util.logging.Logger quietUntilSevere(final String name)
    {
        final java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        if (null == logger.getLevel())
        {
            logger.setLevel(java.util.logging.Level.SEVERE);
        }
        return logger;
    }

    private static SslContextFactory.Server tls(final SSLContext sslContext)
    {
        final SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setSslContext(sslContext);
        return factory;
    }

    /** Jetty's own refusals (400, 431, ...) as one line of plain text, never a page with a stack trace. */
    private static ErrorHandler plainErrors()
    {
        final ErrorHandler errors = new ErrorHandler();
        errors.setShowStacks(false);
        errors.setShowCauses(false);
        errors.setShowMessageInTitle(false);
        errors.setDefaultResponseMimeType("text/plain");
        return errors;
    }

    /** Jetty's selector, as a client connects; with TLS, once for the network connection, not its decrypted one. */
    private void onOpened(final Connection connection)
    {
        final EndPoint endPoint = connection.getEndPoint();
        if (endPoint instanceof EndPoint.Wrapper)
        {
            return; // HTTP inside TLS: the network connection below it is already counted
        }
        final Exchange exchange = new Exchange(connection, String.valueOf(endPoint.getRemoteSocketAddress()),
            System.nanoTime() + requestTimeoutNs);
        exchanges.put(endPoint, exchange);
        if (exchanges.size() > MAX_CONNECTIONS)
        {
            evictOldestUnfinished(exchange);
        }
        schedule(exchange, requestTimeoutNs);
    }

    private void onClosed(final Connection connection)
    {
        final Exchange exchange = exchanges.remove(connection.getEndPoint());
        if (null != exchange)
        {
            synchronized (exchange)
            {
                if (null != exchange.task)
                {
                    exchange.task.cancel();
                }
            }
        }
    }

    private void schedule(final Exchange exchange, final long delayNs)
    {
        synchronized (exchange)
        {
            exchange.task = scheduler.schedule(exchange, delayNs, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Makes room for a new connection by closing the one nearest its deadline: the client that has been slowest to
     * send its request or take its response. One waiting for the metrics thread is never chosen: it is not the
     * client's fault. (Jetty's own connection limits stop accepting instead, which would leave a newcomer, a scrape
     * or a health check, queued behind stuck clients until their deadline.)
     */
    private synchronized void evictOldestUnfinished(final Exchange newcomer)
    {
        Exchange oldest = null;
        for (final Exchange exchange : exchanges.values())
        {
            if (exchange != newcomer && exchange.state != State.WAITING &&
                (null == oldest || exchange.deadlineNs - oldest.deadlineNs < 0))
            {
                oldest = exchange;
            }
        }
        if (null != oldest)
        {
            note(System.Logger.Level.INFO, oldest.peer, "closed (" + oldest.state.name().toLowerCase(Locale.ROOT) +
                ") to make room: " + MAX_CONNECTIONS + " admin connections are open");
            // Out of the count now: Jetty may tell onClosed only later, and the next newcomer must not pick it again.
            exchanges.remove(oldest.connection.getEndPoint());
            oldest.connection.getEndPoint().close();
        }
    }

    /** A Jetty thread (or its selector): a complete request head has arrived. Never blocks. */
    private void onRequest(final Request request, final Response response, final Callback callback)
    {
        final Exchange exchange = exchangeOf(request);
        final String method = request.getMethod();
        final boolean isHead = "HEAD".equals(method);
        final boolean isGet = "GET".equals(method) || isHead;
        final String path = request.getHttpURI().getPath();
        final String length = request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
        if (request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING) || (null != length && !length.equals("0")))
        {
            send(exchange, response, callback, Reply.text(413, "no request body is accepted\n"));
            return;
        }
        if (!isGet && !mayChangeState(request))
        {
            // Anything but GET and HEAD may change state: refused before anything else is said about it.
            final String host = request.getHeaders().get(HttpHeader.HOST);
            note(System.Logger.Level.WARNING, peer(exchange, request), "refused: " + printable(method) + " " +
                printable(path) +
                (null == tokenDigest ? " with Host '" + printable(host) + "' (not loopback)" :
                    null == request.getHeaders().get(HttpHeader.AUTHORIZATION) ? " without the admin token" :
                        " with a wrong admin token"));
            send(exchange, response, callback, Reply.text(403, null == tokenDigest ?
                "forbidden: changes need a loopback Host (localhost, 127.0.0.1 or [::1])\n" :
                "forbidden: changes need Authorization: Bearer <admin token>\n"));
            return;
        }
        switch (null == path ? "" : path)
        {
            case "/health":
                if (!isGet)
                {
                    send(exchange, response, callback, notAllowed(GET_HEAD, "use GET\n"));
                    return;
                }
                final boolean up = accepting.getAsBoolean();
                send(exchange, response, callback, Reply.text(up ? 200 : 503, up ? "accepting\n" : "not accepting\n"));
                return;
            case "/":
                final String accept = request.getHeaders().get(HttpHeader.ACCEPT);
                send(exchange, response, callback, !isGet ? notAllowed(GET_HEAD, "use GET\n") :
                    null != accept && accept.contains("text/html") ? new Reply(200, HTML, dashboard, null) :
                        Reply.text(200, INDEX));
                return;
            case "/dashboard":
                send(exchange, response, callback, isGet ? new Reply(200, HTML, dashboard, null) :
                    notAllowed(GET_HEAD, "use GET\n"));
                return;
            case "/api/timeseries":
                if (!isGet)
                {
                    send(exchange, response, callback, notAllowed(GET_HEAD, "use GET\n"));
                    return;
                }
                final String secondsText = Request.extractQueryParameters(request).getValue("seconds");
                final int seconds = null == secondsText ? TimeSeries.DEFAULT_SECONDS :
                    Connz.parse(secondsText, 1, TimeSeries.CAPACITY);
                if (seconds < 0 || null == timeSeries)
                {
                    send(exchange, response, callback, null == timeSeries ? Reply.text(404, "no time series\n") :
                        Reply.text(400, "seconds must be 1 to " + TimeSeries.CAPACITY + "\n"));
                    return;
                }
                onMetricsThread(exchange, response, callback, path, () ->
                {
                    sampleAll();
                    return new Reply(200, JSON, timeSeries.toJson(seconds).getBytes(StandardCharsets.UTF_8), null);
                });
                return;
            case "/connz":
                if (refusedPrivateGet(exchange, request, response, callback, isGet, "/connz"))
                {
                    return;
                }
                onConnz(exchange, response, callback, Request.extractQueryParameters(request));
                return;
            case "/clusterz":
                if (refusedPrivateGet(exchange, request, response, callback, isGet, "/clusterz"))
                {
                    return;
                }
                onClusterz(exchange, response, callback, Request.extractQueryParameters(request));
                return;
            case "/metrics":
                if (!isGet)
                {
                    send(exchange, response, callback, notAllowed(GET_HEAD, "use GET\n"));
                    return;
                }
                onMetricsThread(exchange, response, callback, path, this::metrics);
                return;
            case "/histograms":
                final Fields query = Request.extractQueryParameters(request);
                final Reply refused = checkHistograms(method, query);
                if (null != refused)
                {
                    send(exchange, response, callback, refused);
                    return;
                }
                final HistogramQuery histograms = new HistogramQuery(query.getValue("stage"), "POST".equals(method),
                    windowOf(query));
                onMetricsThread(exchange, response, callback, path, () -> histograms(histograms));
                return;
            default:
                send(exchange, response, callback, Reply.text(404, "not found; GET / lists the endpoints\n"));
        }
    }

    /** What a /histograms request asks for, checked; immutable, so the metrics thread may read it. */
    private record HistogramQuery(String stage, boolean reset, String window)
    {
    }

    private Exchange exchangeOf(final Request request)
    {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        while (endPoint instanceof EndPoint.Wrapper)
        {
            endPoint = ((EndPoint.Wrapper)endPoint).unwrap();
        }
        return exchanges.get(endPoint); // null only if it closed meanwhile
    }

    private static String peer(final Exchange exchange, final Request request)
    {
        return null != exchange ? exchange.peer : String.valueOf(request.getConnectionMetaData()
            .getRemoteSocketAddress());
    }

    private static String windowOf(final Fields query)
    {
        final String window = query.getValue("window");
        return null == window ? "since-reset" : window;
    }

    /** @return why a /histograms request cannot be served, or null when it can. */
    private static Reply checkHistograms(final String method, final Fields query)
    {
        final String stageName = query.getValue("stage");
        if (null != stageName && null == Stage.byName(stageName))
        {
            return Reply.text(400, "unknown stage '" + stageName + "'; one of read_to_route, route_to_write, " +
                "read_to_write\n");
        }
        final boolean reset = "true".equals(query.getValue("reset"));
        final String window = windowOf(query);
        final boolean post = "POST".equals(method);
        final boolean isGet = "GET".equals(method) || "HEAD".equals(method);
        if (reset != post || (!post && !isGet))
        {
            return notAllowed(reset ? "POST" : GET_HEAD,
                "GET /histograms shows; POST /histograms?reset=true shows and resets\n");
        }
        if (!window.equals("since-reset") && !window.equals("recent") && !window.equals("since-start") ||
            (reset && !window.equals("since-reset")))
        {
            return Reply.text(400, "window must be since-reset, recent or since-start (reset: since-reset)\n");
        }
        return null;
    }

    private static Reply notAllowed(final String allow, final String text)
    {
        return new Reply(405, TEXT, text.getBytes(StandardCharsets.UTF_8), allow);
    }

    /**
     * Refuses a read of names and addresses (peers, names held in the cluster) that is not a GET (405), or that may
     * come from a page that reached the endpoint through DNS rebinding: without a loopback Host, or without the admin
     * token when one is set (403, logged).
     *
     * @return true if refused (answered); false to serve it.
     */
    private boolean refusedPrivateGet(final Exchange exchange, final Request request, final Response response,
        final Callback callback, final boolean isGet, final String path)
    {
        if (!isGet)
        {
            send(exchange, response, callback, notAllowed(GET_HEAD, "use GET\n"));
            return true;
        }
        if (mayChangeState(request))
        {
            return false;
        }
        note(System.Logger.Level.WARNING, peer(exchange, request), "refused: GET " + path +
            (null == tokenDigest ? " with Host '" + printable(request.getHeaders().get(HttpHeader.HOST)) +
                "' (not loopback)" : " without the admin token"));
        send(exchange, response, callback, Reply.text(403, null == tokenDigest ?
            "forbidden: " + path + " needs a loopback Host (localhost, 127.0.0.1 or [::1])\n" :
            "forbidden: " + path + " needs Authorization: Bearer <admin token>\n"));
        return true;
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
            final String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            if (null == authorization || !authorization.regionMatches(true, 0, "Bearer ", 0, 7))
            {
                return false;
            }
            // Digests of equal length, compared in constant time: the time taken says nothing about the token.
            return MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(7).strip()));
        }
        // The Host header as sent (absent for HTTP/1.0 without one), not the authority Jetty derives from it.
        return isLoopbackHost(request.getHeaders().get(HttpHeader.HOST));
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

    /**
     * Has the metrics thread, the histograms' owner, format the body; the body goes back to Jetty's pool to be
     * written, so the metrics thread never touches a socket.
     *
     * @param body formats the body; run on the metrics thread.
     */
    private void onMetricsThread(
        final Exchange exchange,
        final Response response,
        final Callback callback,
        final String path,
        final Body body)
    {
        if (null != exchange)
        {
            exchange.state = State.WAITING;
        }
        try
        {
            metricsThread.execute(() ->
            {
                Reply reply;
                try
                {
                    reply = body.format();
                }
                catch (final IOException | RuntimeException ex)
                {
                    LOG.log(System.Logger.Level.ERROR, "admin " + path + " failed", ex);
                    reply = Reply.text(500, "internal error: " + ex + "\n");
                }
                final Reply formatted = reply;
                try
                {
                    threads.execute(() -> send(exchange, response, callback, formatted));
                }
                catch (final RejectedExecutionException ex)
                {
                    callback.failed(ex); // Jetty is stopping
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            send(exchange, response, callback, Reply.text(503, "shutting down\n"));
        }
    }

    /** Formats a response body on the metrics thread. */
    @FunctionalInterface
    private interface Body
    {
        Reply format() throws IOException;
    }

    /**
     * Asks the broker thread, which owns the peers, for a snapshot through the bounded queue, and looks on Jetty's
     * scheduler whether it is filled, so no thread waits for it. A snapshot that turns out too small (more peers
     * connected meanwhile) is asked for once more, sized to what the first saw.
     */
    private void onConnz(final Exchange exchange, final Response response, final Callback callback,
        final Fields query)
    {
        final String offsetText = query.getValue("offset");
        final String limitText = query.getValue("limit");
        final String sortText = query.getValue("sort");
        final String refused = null == peerSnapshots ? "no peers to show\n" :
            Connz.check(offsetText, limitText, sortText);
        if (null != refused)
        {
            send(exchange, response, callback, Reply.text(null == peerSnapshots ? 404 : 400, refused + "\n"));
            return;
        }
        final int offset = null == offsetText ? 0 : Connz.parse(offsetText, 0, Integer.MAX_VALUE);
        final int limit = null == limitText ? Connz.DEFAULT_LIMIT : Connz.parse(limitText, 1, Connz.MAX_LIMIT);
        final String sort = null == sortText ? "cid" : sortText;
        if (null != exchange)
        {
            exchange.state = State.WAITING;
        }
        askForSnapshot(exchange, response, callback, (int)Math.min(Integer.MAX_VALUE - SNAPSHOT_SLACK,
            Math.max(0, connectionsOpen.getAsLong())) + SNAPSHOT_SLACK, true, offset, limit, sort);
    }

    private void askForSnapshot(final Exchange exchange, final Response response, final Callback callback,
        final int capacity, final boolean mayRetry, final int offset, final int limit, final String sort)
    {
        final PeerSnapshot snapshot = new PeerSnapshot(capacity);
        if (!peerSnapshots.offer(snapshot))
        {
            send(exchange, response, callback, Reply.text(503, "busy: too many /connz requests at once\n"));
            return;
        }
        awaitSnapshot(exchange, response, callback, snapshot, mayRetry, offset, limit, sort);
    }

    /** Jetty's scheduler or pool: answers once the broker thread has filled the snapshot, else looks again soon. */
    private void awaitSnapshot(final Exchange exchange, final Response response, final Callback callback,
        final PeerSnapshot snapshot, final boolean mayRetry, final int offset, final int limit, final String sort)
    {
        if (!snapshot.isComplete())
        {
            if (System.nanoTime() - snapshot.createdNs > SNAPSHOT_TIMEOUT_NS)
            {
                send(exchange, response, callback, Reply.text(503, "the broker thread did not answer in time\n"));
                return;
            }
            try
            {
                scheduler.schedule(() -> awaitSnapshot(exchange, response, callback, snapshot, mayRetry, offset,
                    limit, sort), SNAPSHOT_POLL_NS, TimeUnit.NANOSECONDS);
            }
            catch (final RejectedExecutionException ex)
            {
                callback.failed(ex); // Jetty is stopping
            }
            return;
        }
        try
        {
            threads.execute(() ->
            {
                if (snapshot.total() > snapshot.count && mayRetry)
                {
                    askForSnapshot(exchange, response, callback, snapshot.total() + SNAPSHOT_SLACK, false, offset,
                        limit, sort);
                    return;
                }
                send(exchange, response, callback, new Reply(200, JSON, Connz.toJson(snapshot, offset, limit, sort,
                    clockMs.getAsLong(), System.nanoTime()).getBytes(StandardCharsets.UTF_8), null));
            });
        }
        catch (final RejectedExecutionException ex)
        {
            callback.failed(ex);
        }
    }

    /**
     * Asks the broker thread for the names held, as {@link #onConnz} asks for the peers (once more if more names came
     * than there was room for), and answers once they are there; without a cluster, {@code {"cluster":false}} at once.
     */
    private void onClusterz(final Exchange exchange, final Response response, final Callback callback,
        final Fields query)
    {
        final ClusterMetricsSource cluster = this.cluster;
        if (null == cluster)
        {
            send(exchange, response, callback, new Reply(200, JSON,
                Clusterz.NO_CLUSTER.getBytes(StandardCharsets.UTF_8), null));
            return;
        }
        final String namesText = query.getValue("names");
        final int perNode = null == namesText ? Clusterz.DEFAULT_NAMES :
            Connz.parse(namesText, 0, Clusterz.MAX_NAMES);
        if (perNode < 0)
        {
            send(exchange, response, callback, Reply.text(400, "names must be 0 to " + Clusterz.MAX_NAMES + "\n"));
            return;
        }
        long known = 0;
        for (int node = 0; node < cluster.nodeCount(); node++)
        {
            known += cluster.names(node);
        }
        if (null != exchange)
        {
            exchange.state = State.WAITING;
        }
        askForNames(exchange, response, callback, cluster, (int)Math.min(Integer.MAX_VALUE - SNAPSHOT_SLACK,
            Math.max(known, connectionsOpen.getAsLong())) + SNAPSHOT_SLACK, true, perNode);
    }

    private void askForNames(final Exchange exchange, final Response response, final Callback callback,
        final ClusterMetricsSource cluster, final int capacity, final boolean mayRetry, final int perNode)
    {
        final NameSnapshot snapshot = new NameSnapshot(capacity);
        if (!cluster.nameSnapshots().offer(snapshot))
        {
            send(exchange, response, callback, Reply.text(503, "busy: too many /clusterz requests at once\n"));
            return;
        }
        awaitNames(exchange, response, callback, cluster, snapshot, mayRetry, perNode);
    }

    /** Jetty's scheduler or pool: answers once the broker thread has filled the names, else looks again soon. */
    private void awaitNames(final Exchange exchange, final Response response, final Callback callback,
        final ClusterMetricsSource cluster, final NameSnapshot snapshot, final boolean mayRetry, final int perNode)
    {
        if (!snapshot.isComplete())
        {
            if (System.nanoTime() - snapshot.createdNs > SNAPSHOT_TIMEOUT_NS)
            {
                send(exchange, response, callback, Reply.text(503, "the broker thread did not answer in time\n"));
                return;
            }
            try
            {
                scheduler.schedule(() -> awaitNames(exchange, response, callback, cluster, snapshot, mayRetry,
                    perNode), SNAPSHOT_POLL_NS, TimeUnit.NANOSECONDS);
            }
            catch (final RejectedExecutionException ex)
            {
                callback.failed(ex); // Jetty is stopping
            }
            return;
        }
        try
        {
            threads.execute(() ->
            {
                if (snapshot.total() > snapshot.count && mayRetry)
                {
                    // More names than room made (names came meanwhile): once more, sized to what this one saw.
                    askForNames(exchange, response, callback, cluster, snapshot.total() + SNAPSHOT_SLACK, false,
                        perNode);
                    return;
                }
                send(exchange, response, callback, new Reply(200, JSON, Clusterz.toJson(cluster, snapshot, perNode,
                    clockMs.getAsLong()).getBytes(StandardCharsets.UTF_8), null));
            });
        }
        catch (final RejectedExecutionException ex)
        {
            callback.failed(ex);
        }
    }

    private static byte[] readDashboard() throws IOException
    {
        try (java.io.InputStream in = AdminServer.class.getResourceAsStream("dashboard.html"))
        {
            if (null == in)
            {
                throw new IOException("dashboard.html is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    /** Metrics thread. */
    private Reply metrics() throws IOException
    {
        sampleAll();
        final ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        prometheus.writeTo(body);
        return new Reply(200, prometheus.contentType(), body.toByteArray(), null);
    }

    /** Metrics thread. */
    private Reply histograms(final HistogramQuery query)
    {
        final Stage only = null == query.stage() ? null : Stage.byName(query.stage());
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
                switch (query.window())
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
                if (query.reset())
                {
                    stage.reset(nowMs);
                }
            }
        }
        return new Reply(200, TEXT, body.toByteArray(), null);
    }

    private void sampleAll()
    {
        for (final StageHistogram stage : stages)
        {
            stage.sample();
        }
    }

    /** A Jetty thread: writes the response without waiting for the client (Jetty finishes it on its selector). */
    private void send(final Exchange exchange, final Response response, final Callback callback, final Reply reply)
    {
        if (null != exchange)
        {
            exchange.deadlineNs = System.nanoTime() + requestTimeoutNs;
            exchange.state = State.WRITING;
        }
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        if (null != reply.allow())
        {
            response.getHeaders().put(HttpHeader.ALLOW, reply.allow());
        }
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        // Jetty sends no body for HEAD, whatever is written.
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
    }

    /**
     * Logs one connection event, at most one line a second: a flood of hostile clients must not flood the log too.
     * The next line logged says how many were left out. Any thread.
     */
    private synchronized void note(final System.Logger.Level level, final String peer, final String what)
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
