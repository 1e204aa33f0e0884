/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.HdrHistogram.Histogram;

import io.tern.transport.TlsContexts;

/**
 * The admin HTTP endpoint, on its own port (loopback by default), served by the JDK's {@code HttpServer} (an
 * {@code HttpsServer} with {@code --admin-tls on}, with the broker's TLS context) whose handlers run on the
 * {@code metrics} thread, the one thread that owns the stage histograms.
 * <pre>
 *   GET  /metrics                          Prometheus text format (see {@link PrometheusMetrics})
 *   GET  /histograms[?stage=S][&amp;window=W]  percentile distribution per stage, HdrHistogram's text format, in us
 *                                          W = since-reset (default) | recent (about the last minute) | since-start
 *                                          with stage=S the body is exactly one .hgrm document
 *   POST /histograms?reset=true[&amp;stage=S]  the since-reset distribution(s), then starts them again (one step, so
 *                                          nothing recorded in between is lost)
 *   GET  /health                           200 "accepting" while the broker accepts connections, else 503
 *   GET  /                                 this list
 * </pre>
 * Every request first samples the recorders, so what it shows includes everything recorded up to that moment.
 */
final class AdminServer
{
    private static final int TICKS_PER_HALF_DISTANCE = 5;
    private static final double NS_PER_US = 1000.0;
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String INDEX = String.join("\n",
        "tern broker admin endpoint",
        "  GET  /metrics                               Prometheus text format",
        "  GET  /histograms[?stage=S][&window=W]       HdrHistogram percentile distributions, us",
        "       S = read_to_route | route_to_write | read_to_write (default all)",
        "       W = since-reset (default) | recent (about the last minute) | since-start",
        "  POST /histograms?reset=true[&stage=S]      the since-reset distributions, then reset them",
        "  GET  /health                                200 accepting | 503 not accepting",
        "");

    private final HttpServer server;
    private final StageHistogram[] stages;
    private final PrometheusMetrics prometheus;
    private final BooleanSupplier accepting;
    private final LongSupplier clockMs;

    /**
     * Binds the socket now, so a port in use fails start-up before anything else runs; serves nothing until
     * {@link #start(Executor)}.
     */
    AdminServer(
        final String bindAddress,
        final int port,
        final SSLContext tls,
        final StageHistogram[] stages,
        final PrometheusMetrics prometheus,
        final BooleanSupplier accepting,
        final LongSupplier clockMs) throws IOException
    {
        this.stages = stages;
        this.prometheus = prometheus;
        this.accepting = accepting;
        this.clockMs = clockMs;
        try
        {
            final InetSocketAddress address = new InetSocketAddress(bindAddress, port);
            if (null == tls)
            {
                server = HttpServer.create(address, 16);
            }
            else
            {
                final HttpsServer https = HttpsServer.create(address, 16);
                https.setHttpsConfigurator(new HttpsConfigurator(tls)
                {
                    @Override
                    public void configure(final HttpsParameters parameters)
                    {
                        parameters.setSSLParameters(TlsContexts.parameters(tls)); // TLSv1.3 and TLSv1.2 only
                    }
                });
                server = https;
            }
        }
        catch (final BindException ex)
        {
            final BindException named = new BindException("--admin-port=" + port + " on " + bindAddress + ": " +
                ex.getMessage());
            named.initCause(ex);
            throw named;
        }
        server.createContext("/metrics", this::onMetrics);
        server.createContext("/histograms", this::onHistograms);
        server.createContext("/health", this::onHealth);
        server.createContext("/", this::onIndex);
    }

    /** Starts serving; handlers run on {@code executor}, which must be the single metrics thread. */
    void start(final Executor executor)
    {
        server.setExecutor(executor);
        server.start();
    }

    /** @return the address bound (the port resolved when configured as 0). */
    InetSocketAddress address()
    {
        return server.getAddress();
    }

    /** Stops at once: closes the socket and open exchanges. */
    void stop()
    {
        server.stop(0);
    }

    private void sampleAll()
    {
        for (final StageHistogram stage : stages)
        {
            stage.sample();
        }
    }

    private void onMetrics(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!isGet(exchange))
            {
                send(exchange, 405, "use GET\n");
                return;
            }
            sampleAll();
            final ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
            prometheus.writeTo(body);
            send(exchange, 200, prometheus.contentType(), body.toByteArray());
        }
    }

    private void onHealth(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final boolean up = accepting.getAsBoolean();
            send(exchange, up ? 200 : 503, up ? "accepting\n" : "not accepting\n");
        }
    }

    private void onIndex(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (exchange.getRequestURI().getPath().equals("/"))
            {
                send(exchange, 200, INDEX);
            }
            else
            {
                send(exchange, 404, "not found; GET / lists the endpoints\n");
            }
        }
    }

    private void onHistograms(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            final String stageName = query.get("stage");
            final Stage only = null == stageName ? null : Stage.byName(stageName);
            if (null != stageName && null == only)
            {
                send(exchange, 400, "unknown stage '" + stageName + "'; one of read_to_route, route_to_write, " +
                    "read_to_write\n");
                return;
            }
            final boolean reset = "true".equals(query.get("reset"));
            final String window = query.getOrDefault("window", "since-reset");
            final boolean post = "POST".equals(exchange.getRequestMethod());
            if (reset != post || (!post && !isGet(exchange)))
            {
                send(exchange, 405, "GET /histograms shows; POST /histograms?reset=true shows and resets\n");
                return;
            }
            if (!window.equals("since-reset") && !window.equals("recent") && !window.equals("since-start") ||
                (reset && !window.equals("since-reset")))
            {
                send(exchange, 400, "window must be since-reset, recent or since-start (reset: since-reset)\n");
                return;
            }

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
            send(exchange, 200, TEXT, body.toByteArray());
        }
    }

    private static boolean isGet(final HttpExchange exchange)
    {
        final String method = exchange.getRequestMethod();
        return "GET".equals(method) || "HEAD".equals(method);
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

    private static void send(final HttpExchange exchange, final int status, final String text) throws IOException
    {
        send(exchange, status, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(final HttpExchange exchange, final int status, final String contentType,
        final byte[] body) throws IOException
    {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        final boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head)
        {
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        }
    }
}
