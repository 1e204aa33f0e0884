/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.nio.file.Path;

import javax.net.ssl.SSLContext;

/**
 * The metrics' share of the broker's settings, already validated by the broker's configuration (plain values, so
 * this package does not depend on the broker's).
 *
 * @param adminBind       address of the admin HTTP endpoint.
 * @param adminPort       its port, 0 for any free one, -1 when it is off.
 * @param statsIntervalMs how often to print the one-line summary, 0 for never.
 * @param histogramLogDir the directory for interval logs, or null for none.
 * @param adminTls        the server's TLS context when the admin endpoint speaks HTTPS only, or null for HTTP.
 */
public record MetricsSettings(
    String adminBind, int adminPort, long statsIntervalMs, Path histogramLogDir, SSLContext adminTls)
{
    /** Plain HTTP admin endpoint. */
    public MetricsSettings(final String adminBind, final int adminPort, final long statsIntervalMs,
        final Path histogramLogDir)
    {
        this(adminBind, adminPort, statsIntervalMs, histogramLogDir, null);
    }
}
